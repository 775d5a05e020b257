import { describe, expect, it } from 'vitest';
import { formatRolloutHistory, rsRevision } from '../../../src/cli/format/rollout.js';
import { frontDeployment, newRS, oldRS, replicaSet } from './fixtures.js';

const d = () => frontDeployment({ revision: 3, image: 'xxx/frontend:v1.0.0' });

describe('formatRolloutHistory', () => {
  it('prints the header with a trailing space, the table ascending by revision, then a blank line', () => {
    expect(formatRolloutHistory(d(), [newRS(3, 2), oldRS(0, 1)])).toBe(
      'deployment.apps/front \n' + //
        'REVISION  CHANGE-CAUSE\n' +
        '1         <none>\n' +
        '2         <none>\n' +
        '\n',
    );
  });

  it('takes CHANGE-CAUSE from each ReplicaSet and sorts revisions numerically', () => {
    const r2 = replicaSet({ hash: 'aaa', image: 'v2', revision: 2, created: 1, spec: 0, annotations: { 'kubernetes.io/change-cause': 'Bump to v2 (1a2b3c4)' } });
    const r10 = replicaSet({ hash: 'bbb', image: 'v10', revision: 10, created: 2, spec: 3, annotations: { 'kubernetes.io/change-cause': 'Bump to v10 (5d6e7f8)' } });
    const r9 = replicaSet({ hash: 'ccc', image: 'v9', revision: 9, created: 3, spec: 0 });
    expect(formatRolloutHistory(d(), [r10, r9, r2])).toBe(
      'deployment.apps/front \n' +
        'REVISION  CHANGE-CAUSE\n' +
        '2         Bump to v2 (1a2b3c4)\n' +
        '9         <none>\n' +
        '10        Bump to v10 (5d6e7f8)\n' +
        '\n',
    );
  });

  it('after a rollback revision 1 is gone (its ReplicaSet now carries 3)', () => {
    expect(formatRolloutHistory(d(), [oldRS(3, 3), newRS(0, 2)])).toBe('deployment.apps/front \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
  });

  it('says so when there is no history', () => {
    expect(formatRolloutHistory(d(), [])).toBe('deployment.apps/front \nNo rollout history found.\n');
  });

  it('--revision N prints the raw pod template of that revision, with its change-cause annotation', () => {
    const rs = newRS(0, 2);
    rs.metadata.annotations!['kubernetes.io/change-cause'] = 'Bump to v2 (1a2b3c4)';
    expect(formatRolloutHistory(d(), [oldRS(3, 3), rs], 2)).toBe(
      'deployment.apps/front with revision #2\n' +
        'Pod Template:\n' +
        '  Labels:\tapp=front\n' +
        '\tpod-template-hash=7b95f674dc\n' +
        '  Annotations:\tkubernetes.io/change-cause: Bump to v2 (1a2b3c4)\n' +
        '  Containers:\n' +
        '   front:\n' +
        '    Image:\txxx/frontend:v2.0.0\n' +
        '    Port:\t<none>\n' +
        '    Host Port:\t<none>\n' +
        '    Environment:\t<none>\n' +
        '    Mounts:\t<none>\n' +
        '  Volumes:\t<none>\n' +
        '  Node-Selectors:\t<none>\n' +
        '  Tolerations:\t<none>\n' +
        '\n',
    );
  });

  it('throws for a revision that does not exist', () => {
    expect(() => formatRolloutHistory(d(), [oldRS(3, 1)], 7)).toThrow(new Error('unable to find the specified revision'));
  });

  it('does not modify the ReplicaSets it reads', () => {
    const rs = newRS(0, 2);
    rs.metadata.annotations!['kubernetes.io/change-cause'] = 'c';
    const before = JSON.stringify(rs);
    formatRolloutHistory(d(), [rs], 2);
    expect(JSON.stringify(rs)).toBe(before);
  });
});

describe('rsRevision', () => {
  it('parses the revision annotation; missing is 0, garbage is skipped', () => {
    const rs = oldRS(0, 4);
    expect(rsRevision(rs)).toBe(4);
    delete rs.metadata.annotations!['deployment.kubernetes.io/revision'];
    expect(rsRevision(rs)).toBe(0);
    rs.metadata.annotations!['deployment.kubernetes.io/revision'] = 'x1';
    expect(rsRevision(rs)).toBeUndefined();
    expect(formatRolloutHistory(d(), [rs])).toBe('deployment.apps/front \nNo rollout history found.\n');
  });
});
