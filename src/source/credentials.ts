/** Credentials for http(s) remotes, and scrubbing them out of anything that could be shown or stored. */
import fs from 'node:fs';
import { MfluxError } from '../core/errors.js';
import type { Credentials } from './types.js';

/**
 * credentialsFrom reads MFLUX_GIT_USERNAME / MFLUX_GIT_PASSWORD / MFLUX_GIT_TOKEN, or files given
 * as paths (a file wins over its variable; one trailing newline is dropped). Returns undefined
 * when nothing is set.
 */
export function credentialsFrom(opts: {
  env?: NodeJS.ProcessEnv;
  usernameFile?: string;
  passwordFile?: string;
  tokenFile?: string;
}): Credentials | undefined {
  const env = opts.env ?? process.env;
  const pick = (file: string | undefined, variable: string): string | undefined => {
    if (file) return readSecretFile(file);
    const v = env[variable];
    return v === undefined || v === '' ? undefined : v;
  };
  const creds: Credentials = {};
  const username = pick(opts.usernameFile, 'MFLUX_GIT_USERNAME');
  const password = pick(opts.passwordFile, 'MFLUX_GIT_PASSWORD');
  const token = pick(opts.tokenFile, 'MFLUX_GIT_TOKEN');
  if (username !== undefined) creds.username = username;
  if (password !== undefined) creds.password = password;
  if (token !== undefined) creds.token = token;
  return Object.keys(creds).length ? creds : undefined;
}

function readSecretFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new MfluxError('Usage', `cannot read credentials file ${file}: ${code}`, { subject: 'credentials' });
  }
  return text.replace(/\r?\n$/, '');
}

/** isRemoteUrl tells an http(s) URL from a local path. */
export function isRemoteUrl(repo: string): boolean {
  return /^https?:\/\//i.test(repo);
}

/**
 * splitUrlCredentials removes `user:password@` from an http(s) URL, returning the clean URL and
 * whatever credentials it carried (percent-decoded).
 */
export function splitUrlCredentials(url: string): { url: string; credentials?: Credentials } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not parseable: strip anything that looks like userinfo anyway.
    return { url: url.replace(/^(https?:\/\/)[^/@]*@/i, '$1') };
  }
  if (!u.username && !u.password) return { url };
  const credentials: Credentials = {};
  if (u.username) credentials.username = safeDecode(u.username);
  if (u.password) credentials.password = safeDecode(u.password);
  // Cut the userinfo out of the original text (URL serialisation would normalise other parts too).
  const clean = url.replace(/^(https?:\/\/)[^/]*@/i, '$1');
  return { url: clean, credentials };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** secretsOf lists every form in which the credentials' secrets could leak into text. */
export function secretsOf(creds: Credentials | undefined): string[] {
  if (!creds) return [];
  const out = new Set<string>();
  for (const s of [creds.password, creds.token]) {
    if (!s) continue;
    out.add(s);
    out.add(encodeURIComponent(s));
  }
  if (creds.password !== undefined) {
    out.add(Buffer.from(`${creds.username ?? ''}:${creds.password}`).toString('base64'));
  }
  if (creds.token) out.add(Buffer.from(creds.token).toString('base64'));
  return [...out].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** scrub removes URL userinfo and every given secret from a text. */
export function scrub(text: string, secrets: string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

/** authHeaders builds the Authorization header for the credentials (bearer for a token, else basic). */
export function authHeaders(creds: Credentials | undefined): Record<string, string> {
  if (!creds) return {};
  if (creds.token) return { Authorization: `Bearer ${creds.token}` };
  if (creds.username !== undefined || creds.password !== undefined) {
    return { Authorization: `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}` };
  }
  return {};
}
