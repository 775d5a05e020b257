/** The text surgery of `mflux rollback`: one YAML document replaced, everything else byte for byte; the rollback subject. */
import { describe, expect, test } from 'vitest';
import { rollbackTarget } from '../../src/ledger/index.js';
import { documentText, imageEntries, replaceDocument, rollbackMessage } from '../../src/reconcile/index.js';

describe('replaceDocument', () => {
  const file = 'a: 1\n---\n# B\nb: 1\n\n---\nc: 1\n';

  test('replaces the middle document and keeps separators, blank lines and the others', () => {
    expect(replaceDocument(file, 4, '# B\nb: 2')).toBe('a: 1\n---\n# B\nb: 2\n\n---\nc: 1\n');
  });

  test('replaces the last document and keeps the final newline', () => {
    expect(replaceDocument(file, 7, 'c: 2\nd: 3')).toBe('a: 1\n---\n# B\nb: 1\n\n---\nc: 2\nd: 3\n');
  });

  test('a single-document file is replaced whole', () => {
    expect(replaceDocument('x: 1\n', 1, 'x: 2')).toBe('x: 2\n');
  });

  test('documentText takes a document verbatim, comments included, without trailing blank lines', () => {
    expect(documentText(file, 4)).toBe('# B\nb: 1');
    expect(documentText('k: v\r\n---\r\nz: 1\r\n', 3)).toBe('z: 1');
  });

  test('a CRLF file round-trips byte for byte, and a replaced document keeps CRLF', () => {
    const crlf = 'k: v\r\n---\r\n# c\r\nz: 1\r\ny: 2\r\n\r\n---\r\nq: 1\r\n';
    for (const line of [1, 3, 8]) expect(replaceDocument(crlf, line, documentText(crlf, line))).toBe(crlf);
    expect(replaceDocument(crlf, 3, 'z: 2\ny: 3')).toBe('k: v\r\n---\r\nz: 2\r\ny: 3\r\n\r\n---\r\nq: 1\r\n');
    expect(replaceDocument(file, 4, documentText(file, 4))).toBe(file);
  });
});

describe('rollback subjects', () => {
  test('the message reconcile recognises', () => {
    const m = rollbackMessage('front', 2, 'abcdef0123456789abcdef0123456789abcdef01');
    expect(m).toBe('Roll back deployment/front to revision 2 (abcdef0)');
    expect(rollbackTarget(m, 'front')).toBe(2);
    expect(rollbackTarget(m, 'back')).toBeUndefined();
    expect(rollbackTarget('front: v2', 'front')).toBeUndefined();
    expect(rollbackTarget('Roll back deployment/front to revision 12', 'front')).toBe(12);
  });

  test('StatefulSets and DaemonSets: the kind is part of the subject, so a same-named workload of another kind is not matched', () => {
    const m = rollbackMessage('db', 1, 'abcdef0123456789abcdef0123456789abcdef01', 'StatefulSet');
    expect(m).toBe('Roll back statefulset/db to revision 1 (abcdef0)');
    expect(rollbackTarget(m, 'db', 'StatefulSet')).toBe(1);
    expect(rollbackTarget(m, 'db')).toBeUndefined();
    expect(rollbackTarget(m, 'db', 'DaemonSet')).toBeUndefined();
    expect(rollbackTarget(rollbackMessage('agent', 4, 'abcdef0123456789abcdef0123456789abcdef01', 'DaemonSet'), 'agent', 'DaemonSet')).toBe(4);
  });
});

describe('imageEntries', () => {
  test('finds each item of a block images: list with its lines, name and indent; comments and blank lines stay outside', () => {
    const k = 'resources: [a.yaml]\nimages:\n  # pinned\n  - name: nginx   # web\n    newTag: "1.27"\n\n  - newName: ghcr.io/x/app\n    name: app\n    digest: sha256:abc\nreplicas:\n- {name: web, count: 2}\n';
    expect(imageEntries(k)).toEqual([
      { start: 3, end: 5, indent: '  ', name: 'nginx' },
      { start: 6, end: 9, indent: '  ', name: 'app' },
    ]);
  });

  test('a flow-style list or no images: gives no items (rollback then refuses rather than guess)', () => {
    expect(imageEntries('images: [{name: nginx, newTag: "1.27"}]\n')).toEqual([]);
    expect(imageEntries('resources: [a.yaml]\n')).toEqual([]);
  });
});
