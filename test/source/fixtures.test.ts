/** scripts/fixtures-repo.ts: the fixtures-repo folders as a real git repository, one commit per folder. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildFixturesRepo, findFixturesDir, subjectsFromReadme } from '../../scripts/fixtures-repo.js';
import { openSource } from '../../src/source/index.js';
import { tempDirs } from './helpers.js';

const fresh = tempDirs();

describe('buildFixturesRepo', () => {
  const fixtures = findFixturesDir();
  const folders = fs.readdirSync(fixtures).filter((f) => /^\d\d-/.test(f)).sort();

  test('yields 7 commits on main, each holding exactly its folder, with readable subjects and stable SHAs', async () => {
    const { dir, commits } = await buildFixturesRepo(path.join(fresh(), 'repo'));
    expect(commits).toHaveLength(7);
    expect(commits.map((c) => c.folder)).toEqual(folders);
    expect(commits[1]!.subject).toBe('front: image v2.0.0');
    expect(commits[3]!.subject).toBe('front: replicas 3 to 5');
    expect(execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim()).toBe('main');
    expect(execFileSync('git', ['log', '--reverse', '--format=%H %an <%ae> %s', 'main'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toEqual(
      commits.map((c) => `${c.sha} mflux fixtures <fixtures@mflux.dev> ${c.subject}`),
    );

    // Read back through the source: every commit's tree is the folder's content, byte for byte.
    const src = await openSource({ repo: dir, stateDir: fresh() });
    for (const c of commits) {
      const files = await src.listManifests(c.sha);
      const expected = fs.readdirSync(path.join(fixtures, c.folder)).sort();
      expect(files.map((f) => f.path)).toEqual(expected);
      const blobs = await src.readBlobs(files.map((f) => f.oid));
      for (const f of files) expect(blobs.get(f.oid)).toBe(fs.readFileSync(path.join(fixtures, c.folder, f.path), 'utf8'));
      expect((await src.readCommit(c.sha)).subject).toBe(c.subject);
    }
    expect((await src.resolve()).revision.commit).toBe(commits[6]!.sha);
    expect(await src.changedPaths(commits[0]!.sha, commits[1]!.sha)).toEqual(['front.yaml']);

    // Deterministic: a second build gives the same SHAs; --up-to stops early.
    const again = await buildFixturesRepo(path.join(fresh(), 'repo'), { upTo: 3 });
    expect(again.commits.map((c) => c.sha)).toEqual(commits.slice(0, 3).map((c) => c.sha));
  });

  test('refuses a non-empty target directory', async () => {
    const d = fresh();
    fs.writeFileSync(path.join(d, 'keep.txt'), 'x');
    await expect(buildFixturesRepo(d)).rejects.toThrow('not empty');
    expect(fs.readdirSync(d)).toEqual(['keep.txt']);
  });

  test('subjects come from the README table', () => {
    const subjects = subjectsFromReadme(fs.readFileSync(path.join(fixtures, 'README.md'), 'utf8'));
    expect([...subjects.keys()]).toEqual(folders);
    expect(subjects.get('06-broken-image')).toBe('front: image xxx/frontend:broken');
  });
});
