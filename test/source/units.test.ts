/** Pieces of the Git source on their own: credentials, scrubbing, revision strings, the upload-pack codec, the caching fs. */
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, test } from 'vitest';
import { isMfluxError } from '../../src/core/errors.js';
import { CachingFs, credentialsFrom, formatRevision, isIgnored, parseIgnore, parseRevision, scrub, splitUrlCredentials, type IgnoreRule } from '../../src/source/index.js';
import { DEFAULT_RULES } from '../../src/source/ignore.js';
import { checkPack, parseUploadPackResponse, uploadPackRequest } from '../../src/source/upload-pack.js';
import { commit, git as gitCli, initRepo, tempDirs } from './helpers.js';

const fresh = tempDirs();

describe('credentials', () => {
  test('come from MFLUX_GIT_* variables, files win over variables, nothing set gives undefined', () => {
    expect(credentialsFrom({ env: {} })).toBeUndefined();
    expect(credentialsFrom({ env: { MFLUX_GIT_USERNAME: 'u', MFLUX_GIT_PASSWORD: 'p' } })).toEqual({ username: 'u', password: 'p' });
    expect(credentialsFrom({ env: { MFLUX_GIT_TOKEN: 't' } })).toEqual({ token: 't' });
    const d = fresh();
    fs.writeFileSync(path.join(d, 'pw'), 'from-file\n');
    fs.writeFileSync(path.join(d, 'tok'), 'tok-file');
    expect(credentialsFrom({ env: { MFLUX_GIT_USERNAME: 'u', MFLUX_GIT_PASSWORD: 'env' }, passwordFile: path.join(d, 'pw') })).toEqual({ username: 'u', password: 'from-file' });
    expect(credentialsFrom({ env: {}, tokenFile: path.join(d, 'tok') })).toEqual({ token: 'tok-file' });
    let err: unknown;
    try {
      credentialsFrom({ env: {}, passwordFile: path.join(d, 'missing') });
    } catch (e) {
      err = e;
    }
    expect(isMfluxError(err, 'Usage')).toBe(true);
  });

  test('URL userinfo is split off and decoded; scrub removes userinfo and secrets', () => {
    expect(splitUrlCredentials('https://bob:p%40ss@git.example.com:8443/org/repo.git')).toEqual({
      url: 'https://git.example.com:8443/org/repo.git',
      credentials: { username: 'bob', password: 'p@ss' },
    });
    expect(splitUrlCredentials('https://git.example.com/repo.git')).toEqual({ url: 'https://git.example.com/repo.git' });
    expect(scrub('fetch https://bob:hunter2@host/x failed: hunter2', ['hunter2'])).toBe('fetch https://host/x failed: ***');
  });
});

describe('revision strings', () => {
  test('format and parse round-trip', () => {
    const sha = 'a'.repeat(40);
    expect(formatRevision('main', 'branch', sha)).toBe(`main@sha1:${sha}`);
    expect(formatRevision('v1.0.0', 'tag', sha)).toBe(`v1.0.0@sha1:${sha}`);
    expect(formatRevision('aaaa', 'sha', sha)).toBe(`sha1:${sha}`);
    expect(parseRevision(`main@sha1:${sha}`)).toEqual({ ref: 'main', commit: sha });
    expect(parseRevision(`sha1:${sha}`)).toEqual({ commit: sha });
    expect(parseRevision('main/abc')).toBeUndefined();
  });
});

describe('upload-pack codec', () => {
  const A = '1'.repeat(40);
  const B = '2'.repeat(40);
  const pkt = (s: string | Buffer) => {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
    return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0')), b]);
  };

  test('the request carries wants (capabilities on the first), a flush, haves and done', () => {
    expect(uploadPackRequest([A, A, B], [B], ['side-band-64k', 'ofs-delta']).toString()).toBe(
      `004awant ${A} side-band-64k ofs-delta\n0032want ${B}\n00000032have ${B}\n0009done\n`,
    );
  });

  test('side-band answers are demultiplexed; ERR lines, band 3 and truncation throw', () => {
    const answer = Buffer.concat([pkt('NAK\n'), pkt(Buffer.concat([Buffer.from([2]), Buffer.from('progress')])), pkt(Buffer.concat([Buffer.from([1]), Buffer.from('PACK')])), pkt(Buffer.concat([Buffer.from([1]), Buffer.from('rest')])), Buffer.from('0000')]);
    expect(parseUploadPackResponse(answer, true).toString()).toBe('PACKrest');
    expect(parseUploadPackResponse(Buffer.concat([pkt('NAK\n'), Buffer.from('PACKraw')]), false).toString()).toBe('PACKraw');
    expect(() => parseUploadPackResponse(pkt('ERR upload-pack: not our ref\n'), true)).toThrow('upload-pack: not our ref');
    expect(() => parseUploadPackResponse(Buffer.concat([pkt('NAK\n'), pkt(Buffer.concat([Buffer.from([3]), Buffer.from('boom')]))]), true)).toThrow('remote error: boom');
    expect(() => parseUploadPackResponse(answer.subarray(0, answer.length - 6), true)).toThrow(/truncated|ended/);
    expect(() => checkPack(Buffer.from('PACK'))).toThrow('no packfile');
  });
});

describe('CachingFs', () => {
  test('answers loose-object probes and pack listings from memory, reads the same bytes, and sees new objects after reset', async () => {
    const repo = initRepo(fresh());
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) files[`f${i}.yaml`] = `i: ${i}\n`;
    const c = commit(repo, 'many', files);
    gitCli(repo, 'gc', '--quiet');
    const gitdir = path.join(repo, '.git');
    const oids = gitCli(repo, 'ls-tree', c).split('\n').map((l) => l.split(/\s+/)[2]!);

    const cfs = new CachingFs();
    const cache = {};
    const cached = await Promise.all(oids.map(async (oid) => Buffer.from((await git.readBlob({ fs: cfs, gitdir, oid, cache })).blob).toString()));
    const plain = await Promise.all(oids.map(async (oid) => Buffer.from((await git.readBlob({ fs, gitdir, oid })).blob).toString()));
    expect(cached).toEqual(plain);
    // 50 reads probed 50 loose paths and listed objects/pack 50 times: nearly all of it from memory.
    expect(cfs.stats.cachedAnswers).toBeGreaterThan(100);
    expect(cfs.stats.realCalls).toBeLessThan(cfs.stats.cachedAnswers / 2);

    // A new loose object written behind the cache's back stays hidden until the session is reset.
    for (let i = 0; i < 256; i++) {
      await cfs.promises.readFile(path.join(gitdir, 'objects', i.toString(16).padStart(2, '0'), '0'.repeat(38))).catch(() => undefined);
    }
    const newer = gitCli(repo, 'commit-tree', gitCli(repo, 'rev-parse', `${c}^{tree}`), '-m', 'new');
    await expect(git.readCommit({ fs: cfs, gitdir, oid: newer, cache })).rejects.toThrow();
    cfs.reset();
    expect((await git.readCommit({ fs: cfs, gitdir, oid: newer, cache })).commit.message).toBe('new\n');
  });
});

describe('isIgnored', () => {
  test('tests runs of rules as one regex with the same answer as the last matching rule', () => {
    const naive = (rules: IgnoreRule[], p: string, isDir: boolean) => {
      let ignored = false;
      for (const r of rules) if (!(r.dirOnly && !isDir) && r.re.test(p)) ignored = !r.negate;
      return ignored;
    };
    const own = parseIgnore(['*.yaml', '!keep/*.yaml', 'build/', '!build/', 'docs/**/draft-*', '\\#literal', 'sub/*.json', '!sub/ok.json', 'tmp'].join('\n'), '');
    const nested = [...DEFAULT_RULES, ...parseIgnore('!*.png\n*.md\nvendor/\n', 'apps')];
    const paths = ['a.yaml', 'keep/a.yaml', 'keep/b/a.yaml', 'build', 'x/build', 'docs/a/b/draft-1.md', 'docs/draft-2', '#literal', 'sub/a.json', 'sub/ok.json', 'tmp', 'x/tmp',
      '.git', '.github', 'logo.png', 'apps/logo.png', 'apps/README.md', 'apps/vendor', 'apps/x/vendor', '.sops.yaml', 'apps/.flux.yaml', 'cloudbuild.yaml', 'app.tar.gz', 'plain.json'];
    let ignoredSome = 0;
    for (const rules of [own, nested, DEFAULT_RULES, [] as IgnoreRule[]]) {
      for (const p of paths) {
        for (const isDir of [false, true]) {
          expect(isIgnored(rules, p, isDir), `${p} ${isDir}`).toBe(naive(rules, p, isDir));
          if (naive(rules, p, isDir)) ignoredSome++;
        }
      }
    }
    expect(ignoredSome).toBeGreaterThan(20);
  });
});
