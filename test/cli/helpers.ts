/** Test helpers: run mflux commands in-process against a temp state dir and capture their output. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/program.js';
import { captureIO } from '../../src/cli/io.js';

/** Run is the outcome of one command. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** tempDir makes a fresh directory under the OS temp dir. */
export function tempDir(prefix = 'mflux-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** mflux runs one command with `--state` pointing at `state`. */
export async function mflux(state: string, ...args: string[]): Promise<Run> {
  const io = captureIO();
  const code = await main([...args, '--state', state], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** writeManifest writes a manifest file into dir and returns its path. */
export function writeManifest(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

/** REPO_ROOT is the project's root folder. */
export const REPO_ROOT = path.resolve(__dirname, '../..');

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };

/** git runs a git command in dir (fixed author and committer) and returns its trimmed output. */
export const git = (dir: string, ...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: GIT_ENV }).trim();

const repoRoots: string[] = [];

/** removeTestRepos deletes every TestRepo made so far (call from afterAll). */
export function removeTestRepos(): void {
  for (const d of repoRoots.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** TestRepo is a real git repository (branch main) in a temp dir, with a state dir path beside it. */
export class TestRepo {
  readonly root: string;
  readonly dir: string;
  readonly state: string;
  constructor(prefix = 'mflux-repo-') {
    this.root = tempDir(prefix);
    this.dir = path.join(this.root, 'repo');
    this.state = path.join(this.root, 'state');
    repoRoots.push(this.root);
    fs.mkdirSync(this.dir, { recursive: true });
    git(this.dir, 'init', '-q', '-b', 'main');
  }
  /** write sets file contents (null deletes the file). */
  write(files: Record<string, string | null>): this {
    for (const [name, text] of Object.entries(files)) {
      const p = path.join(this.dir, name);
      if (text === null) fs.rmSync(p, { force: true });
      else {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, text);
      }
    }
    return this;
  }
  /** commit commits everything and returns the SHA. */
  commit(msg: string): string {
    git(this.dir, 'add', '-A');
    git(this.dir, 'commit', '-q', '--allow-empty', '-m', msg);
    return git(this.dir, 'rev-parse', 'HEAD');
  }
}
