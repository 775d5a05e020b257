/**
 * fixtures-repo builder: turns fixtures-repo/NN-*\/ folders into a real git repository — branch
 * main, one commit per folder in order, each commit's tree replaced by the folder's content,
 * subjects taken from the README's "what changes" column, fixed author/committer and dates so
 * the SHAs are the same on every machine.
 *
 *   node dist/scripts/fixtures-repo.js DIR [--up-to N]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** BuiltCommit is one commit of the built repository. */
export interface BuiltCommit {
  folder: string;
  sha: string;
  subject: string;
}

const AUTHOR = { name: 'mflux fixtures', email: 'fixtures@mflux.dev' };
/** BASE_TIME is the first commit's date (epoch seconds); each next commit is one hour later. */
const BASE_TIME = Date.UTC(2024, 0, 1, 9, 0, 0) / 1000;

/** findFixturesDir walks up from this file to the folder holding fixtures-repo/ (works from scripts/ and dist/scripts/). */
export function findFixturesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'fixtures-repo');
    if (fs.existsSync(path.join(candidate, 'README.md'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('fixtures-repo/ not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/**
 * subjectsFromReadme reads the README table: folder → a readable subject from "what changes"
 * (markdown dropped, "field → value" becomes "field value", "3 → 5" becomes "3 to 5", prefixed
 * with the object name when the text starts with it).
 */
export function subjectsFromReadme(readme: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | commit | folder | what changes | what it shows |
    if (cells.length < 5) continue;
    const folder = /^`?(\d\d-[^`]+)`?$/.exec(cells[2]!)?.[1];
    if (!folder) continue;
    out.set(folder, readableSubject(cells[3]!));
  }
  return out;
}

function readableSubject(changes: string): string {
  let text = changes.replace(/`/g, '').replace(/\s+/g, ' ').trim();
  text = text.replace(/(\S+) → /g, (_m, left: string) => (/\d/.test(left) ? `${left} to ` : `${left} `));
  text = text.replace(/→/g, 'to');
  const own = /^front\b[ ,:]*/.exec(text);
  if (own) text = text.slice(own[0].length);
  return `front: ${text}`;
}

function subjectFromFolder(folder: string): string {
  return `front: ${folder.replace(/^\d+-/, '').replace(/-/g, ' ')}`;
}

function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false', '-c', 'core.fileMode=true', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

function copyTree(from: string, to: string): void {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      fs.mkdirSync(dst, { recursive: true });
      copyTree(src, dst);
    } else if (e.isFile()) {
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, 0o644);
    }
  }
}

/**
 * buildFixturesRepo creates `targetDir` (it must be missing or empty) as a git repository with
 * one commit per fixtures folder (the first `upTo` of them when given).
 */
export async function buildFixturesRepo(targetDir: string, opts: { upTo?: number; fixturesDir?: string } = {}): Promise<{ dir: string; commits: BuiltCommit[] }> {
  const fixtures = opts.fixturesDir ?? findFixturesDir();
  const dir = path.resolve(targetDir);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new Error(`${dir} exists and is not empty`);
  fs.mkdirSync(dir, { recursive: true });

  const readmePath = path.join(fixtures, 'README.md');
  const subjects = fs.existsSync(readmePath) ? subjectsFromReadme(fs.readFileSync(readmePath, 'utf8')) : new Map<string, string>();
  let folders = fs
    .readdirSync(fixtures, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d\d-/.test(e.name))
    .map((e) => e.name)
    .sort();
  if (opts.upTo !== undefined) folders = folders.slice(0, opts.upTo);

  git(dir, ['init', '--quiet', '--initial-branch=main']);
  const commits: BuiltCommit[] = [];
  folders.forEach((folder, i) => {
    for (const e of fs.readdirSync(dir)) if (e !== '.git') fs.rmSync(path.join(dir, e), { recursive: true, force: true });
    copyTree(path.join(fixtures, folder), dir);
    git(dir, ['add', '--all']);
    const subject = subjects.get(folder) ?? subjectFromFolder(folder);
    const date = `${BASE_TIME + i * 3600} +0000`;
    git(dir, ['commit', '--quiet', '--allow-empty', '-m', subject], {
      GIT_AUTHOR_NAME: AUTHOR.name,
      GIT_AUTHOR_EMAIL: AUTHOR.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: AUTHOR.name,
      GIT_COMMITTER_EMAIL: AUTHOR.email,
      GIT_COMMITTER_DATE: date,
    });
    commits.push({ folder, sha: git(dir, ['rev-parse', 'HEAD']), subject });
  });
  return { dir, commits };
}

async function cli(argv: string[]): Promise<number> {
  const args = [...argv];
  let upTo: number | undefined;
  const i = args.indexOf('--up-to');
  if (i >= 0) {
    upTo = Number(args[i + 1]);
    args.splice(i, 2);
  }
  if (args.length !== 1 || (upTo !== undefined && !(Number.isInteger(upTo) && upTo > 0))) {
    process.stderr.write('usage: node dist/scripts/fixtures-repo.js DIR [--up-to N]\n');
    return 2;
  }
  const { dir, commits } = await buildFixturesRepo(args[0]!, { upTo });
  process.stdout.write(`${dir}\n`);
  for (const c of commits) process.stdout.write(`${c.sha}  ${c.folder.padEnd(28)} ${c.subject}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`fixtures-repo: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
