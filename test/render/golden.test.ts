/**
 * The kustomize engine against `kubectl kustomize` (v5.5): every fixture's output, parsed, must
 * equal the checked-in golden output object for object, in the same order. When a kubectl with
 * kustomize ≥ v5 is on PATH, the goldens are regenerated and compared too.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { renderKustomization } from '../../src/render/index.js';
import { CASES, FIXTURES, GOLDEN, dirReader } from './helpers.js';

function kubectlKustomizeV5(): boolean {
  try {
    const out = execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /Kustomize Version: v(\d+)/.exec(out);
    return !!m && Number(m[1]) >= 5;
  } catch {
    return false;
  }
}

function golden(name: string): unknown[] {
  return loadAll(fs.readFileSync(path.join(GOLDEN, `${name}.yaml`), 'utf8')).filter((d) => d !== null && d !== undefined);
}

describe('render matches kubectl kustomize, object for object', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const docs = await renderKustomization(dirReader(path.join(FIXTURES, c.name)), c.build);
      const want = golden(c.name);
      expect(docs.map((d) => `${d.object.kind}/${d.object.metadata.name}`)).toEqual(want.map((w: any) => `${w.kind}/${w.metadata.name}`));
      // Compare through JSON so both sides carry the same plain values.
      expect(JSON.parse(JSON.stringify(docs.map((d) => d.object)))).toEqual(want);
    });
  }
});

describe.skipIf(!kubectlKustomizeV5())('goldens are what kubectl kustomize prints today', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const out = execFileSync('kubectl', ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', path.join(FIXTURES, c.name, c.build)], { encoding: 'utf8' });
      expect(loadAll(out).filter((d) => d !== null && d !== undefined)).toEqual(golden(c.name));
    });
  }
});
