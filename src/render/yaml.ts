/**
 * Tolerant multi-document YAML reading for kustomizations and resources: a leading `---`, empty
 * documents and comment-only documents are skipped, as kustomize does (js-yaml throws on them).
 * TODO(unify): manifests/parse.ts has the same need; one helper should serve both.
 */
import { MfluxError } from '../core/errors.js';
import { documentLimitIssue, loadYaml, splitDocuments, yamlLimitIssue } from '../manifests/parse.js';

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
      value = loadYaml(doc.text);
    } catch (err: any) {
      const l = typeof err?.mark?.line === 'number' ? err.mark.line : 0;
      const c = typeof err?.mark?.column === 'number' ? err.mark.column : 0;
      const reason = err?.reason ?? String(err?.message ?? err).split('\n')[0];
      // The same input limits as plain manifests (README "Limits"), with the same codes.
      const limit = yamlLimitIssue(err);
      throw new MfluxError(limit?.code ?? 'KustomizeError', limit?.message ?? `YAML syntax error: ${reason}`, { subject: `${file}:${doc.line + l}:${c + 1}` });
    }
    if (value === null || value === undefined) continue;
    const limit = documentLimitIssue(value, doc.text);
    if (limit) throw new MfluxError(limit.code, limit.message, { subject: `${file}:${first}` });
    out.push({ value, line: first });
  }
  return out;
}

/** parseYamlValue parses a single YAML/JSON text (a patch, an inline list); empty text gives null. */
export function parseYamlValue(text: string, subject: string): unknown {
  if (text.trim() === '') return null;
  try {
    const value = loadYaml(text) ?? null;
    const limit = documentLimitIssue(value, text);
    if (limit) throw new MfluxError(limit.code, limit.message, { subject });
    return value;
  } catch (err: any) {
    if (err instanceof MfluxError) throw err;
    const reason = err?.reason ?? String(err?.message ?? err).split('\n')[0];
    const limit = yamlLimitIssue(err);
    throw new MfluxError(limit?.code ?? 'KustomizeError', limit?.message ?? `YAML syntax error: ${reason}`, { subject });
  }
}
