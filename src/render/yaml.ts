/**
 * Tolerant multi-document YAML reading for kustomizations and resources: a leading `---`, empty
 * documents and comment-only documents are skipped, as kustomize does (js-yaml throws on them).
 * TODO(unify): manifests/parse.ts has the same need; one helper should serve both.
 */
import { load } from 'js-yaml';
import { MfluxError } from '../core/errors.js';
import { splitDocuments } from '../manifests/parse.js';

/** YamlDoc is one non-empty YAML document and the 1-based line of its first content line. */
export interface YamlDoc {
  value: unknown;
  line: number;
}

function firstContentLine(text: string, line: number): number | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l !== '' && !l.startsWith('#')) return line + i;
  }
  return null;
}

/** parseYamlDocuments parses every non-empty document of a text; a syntax error is a KustomizeError naming file:line. */
export function parseYamlDocuments(text: string, file: string): YamlDoc[] {
  const out: YamlDoc[] = [];
  const clean = text.replace(/^\uFEFF/, '');
  for (const doc of splitDocuments(clean)) {
    const first = firstContentLine(doc.text, doc.line);
    if (first === null) continue;
    let value: unknown;
    try {
      value = load(doc.text);
    } catch (err: any) {
      const l = typeof err?.mark?.line === 'number' ? err.mark.line : 0;
      const c = typeof err?.mark?.column === 'number' ? err.mark.column : 0;
      const reason = err?.reason ?? String(err?.message ?? err).split('\n')[0];
      throw new MfluxError('KustomizeError', `YAML syntax error: ${reason}`, { subject: `${file}:${doc.line + l}:${c + 1}` });
    }
    if (value === null || value === undefined) continue;
    out.push({ value, line: first });
  }
  return out;
}

/** parseYamlValue parses a single YAML/JSON text (a patch, an inline list); empty text gives null. */
export function parseYamlValue(text: string, subject: string): unknown {
  if (text.trim() === '') return null;
  try {
    return load(text) ?? null;
  } catch (err: any) {
    const reason = err?.reason ?? String(err?.message ?? err).split('\n')[0];
    throw new MfluxError('KustomizeError', `YAML syntax error: ${reason}`, { subject });
  }
}
