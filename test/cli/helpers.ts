/** Test helpers: run mflux commands in-process against a temp state dir and capture their output. */
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
