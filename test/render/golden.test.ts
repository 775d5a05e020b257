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
import os from 'node:os';
import { CASES, FIXTURES, GOLDEN, dirReader, fluxResources } from './helpers.js';

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

/**
 * kubectlKustomize runs the reference. A folder without a kustomization is first given the one
 * Flux would generate (in a temporary copy), since that is what Flux builds.
 */
function kubectlKustomize(root: string, build: string): string {
  let dir = path.join(root, build);
  if (!['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((k) => fs.existsSync(path.join(dir, k)))) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mflux-render-'));
    fs.cpSync(dir, tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'kustomization.yaml'), `resources:\n${fluxResources(dir).map((r) => `  - ${r}\n`).join('')}`);
    dir = tmp;
  }
  return execFileSync('kubectl', ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// UPDATE_GOLDEN=1 npx vitest run test/render/golden.test.ts rewrites the goldens from kubectl.
describe.skipIf(!kubectlKustomizeV5())('goldens are what kubectl kustomize prints today', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const out = kubectlKustomize(path.join(FIXTURES, c.name), c.build);
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(path.join(GOLDEN, `${c.name}.yaml`), out);
      expect(loadAll(out).filter((d) => d !== null && d !== undefined)).toEqual(golden(c.name));
    });
  }
});
