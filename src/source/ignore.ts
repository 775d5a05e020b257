/**
 * `.sourceignore`, as Flux's source-controller reads it: gitignore syntax, one file per folder
 * (patterns relative to that folder), after Flux's default exclusions (VCS files, CI folders,
 * images and archives, `.sops.yaml`, `.flux.yaml`, `.goreleaser.yml`). The last matching pattern
 * wins; a `!pattern` re-includes; a folder that is excluded hides everything below it.
 */

/** IgnoreRule is one compiled pattern line. */
export interface IgnoreRule {
  negate: boolean;
  dirOnly: boolean;
  re: RegExp;
}

/** SOURCEIGNORE is the file name Flux reads ignore patterns from. */
export const SOURCEIGNORE = '.sourceignore';

/** FLUX_DEFAULT_IGNORES are the patterns source-controller applies before any .sourceignore (sourceignore.NewDefaultMatcher). */
export const FLUX_DEFAULT_IGNORES = [
  '.git/',
  '.gitignore',
  '.gitmodules',
  '.gitattributes',
  '*.jpg',
  '*.jpeg',
  '*.gif',
  '*.png',
  '*.wmv',
  '*.flv',
  '*.tar.gz',
  '*.zip',
  '.github/',
  '.circleci/',
  '.travis.yml',
  '.gitlab-ci.yml',
  'appveyor.yml',
  '.drone.yml',
  'cloudbuild.yaml',
  'codeship-services.yml',
  'codeship-steps.yml',
  '**/.goreleaser.yml',
  '**/.sops.yaml',
  '**/.flux.yaml',
];

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** globToRe turns a gitignore glob (without the leading "/" or trailing "/") into a regex body for a whole relative path. */
function globToRe(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const before = i === 0 || glob[i - 1] === '/';
        const after = glob[i + 2] === '/' || i + 2 === glob.length;
        if (before && after) {
          if (i + 2 === glob.length) out += '.*';
          else {
            out += '(?:.*/)?';
            i += 2;
            continue;
          }
          i += 1;
          continue;
        }
      }
      out += '[^/]*';
      while (glob[i + 1] === '*') i++;
    } else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) out += escapeRe(glob[++i]!);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += escapeRe(c);
  }
  return out;
}

/**
 * parseIgnore compiles the lines of one ignore file found in folder `domain` (posix, '' the root):
 * a pattern with a slash (other than a trailing one) is anchored to that folder, one without
 * matches a name at any depth below it.
 */
export function parseIgnore(text: string, domain: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  const prefix = domain ? `${domain.split('/').map(escapeRe).join('')}/` : '';
  for (let line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    line = line.replace(/(?<!\\)\s+$/, '');
    if (line === '') continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) line = line.slice(1);
    let dirOnly = false;
    if (line.endsWith('/')) {
      dirOnly = true;
      line = line.replace(/\/+$/, '');
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    const body = globToRe(line.replace(/^\//, ''));
    const re = new RegExp(`^${prefix}${anchored ? '' : '(?:.*/)?'}${body}$`);
    rules.push({ negate, dirOnly, re });
  }
  return rules;
}

/** DEFAULT_RULES are Flux's default exclusions, compiled once. */
export const DEFAULT_RULES: IgnoreRule[] = parseIgnore(FLUX_DEFAULT_IGNORES.join('\n'), '');

/** RuleRun is a run of consecutive rules with the same effect, as one regex. */
interface RuleRun {
  negate: boolean;
  dirOnly: boolean;
  re: RegExp;
}

/** runsOf caches each rule list's runs: a listing asks about every path of the repository with the same few lists. */
const runsOf = new WeakMap<IgnoreRule[], RuleRun[]>();

function runs(rules: IgnoreRule[]): RuleRun[] {
  let out = runsOf.get(rules);
  if (!out) {
    const groups: { negate: boolean; dirOnly: boolean; sources: string[] }[] = [];
    for (const r of rules) {
      const last = groups[groups.length - 1];
      if (last && last.negate === r.negate && last.dirOnly === r.dirOnly) last.sources.push(r.re.source);
      else groups.push({ negate: r.negate, dirOnly: r.dirOnly, sources: [r.re.source] });
    }
    out = groups.map((g) => ({ negate: g.negate, dirOnly: g.dirOnly, re: new RegExp(g.sources.map((x) => `(?:${x})`).join('|')) }));
    runsOf.set(rules, out);
  }
  return out;
}

/**
 * isIgnored tells whether one path (not its parents) is excluded by the rules: the last match
 * decides. Consecutive rules with the same effect are tested as one regex, from the last run
 * back, so a path that matches nothing costs a few tests instead of one per rule.
 */
export function isIgnored(rules: IgnoreRule[], path: string, isDir: boolean): boolean {
  const rs = runs(rules);
  for (let i = rs.length - 1; i >= 0; i--) {
    const r = rs[i]!;
    if (r.dirOnly && !isDir) continue;
    if (r.re.test(path)) return !r.negate;
  }
  return false;
}
