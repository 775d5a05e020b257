/** The --policy file: both shapes, defaults, and errors that name the file and the field. */
import { describe, expect, test } from 'vitest';
import { parsePolicy } from '../../src/check/index.js';
import { isMfluxError } from '../../src/core/index.js';

const fails = (text: string) => {
  try {
    parsePolicy(text, 'p.yaml');
  } catch (err) {
    if (!isMfluxError(err, 'PolicyInvalid')) throw err;
    return err.message;
  }
  throw new Error('expected PolicyInvalid');
};

describe('parsePolicy', () => {
  test('the whole document, or under policy: (other keys left to their owners); unset fields keep the defaults', () => {
    expect(parsePolicy('maxPrune: 5\nblock: [RecreateDowntime, ZeroAvailability]\n', 'p.yaml')).toEqual({ maxPrune: 5, block: ['RecreateDowntime', 'ZeroAvailability'] });
    expect(parsePolicy('sources: [{name: x}]\npolicy:\n  maxPrune: "10%"\n', 'p.yaml')).toEqual({ maxPrune: '10%', block: [] });
    expect(parsePolicy('{"block": ["DoubleCapacity", "DoubleCapacity"]}', 'p.json')).toEqual({ maxPrune: '20%', block: ['DoubleCapacity'] });
    expect(parsePolicy('', 'p.yaml')).toEqual({ maxPrune: '20%', block: [] });
    expect(parsePolicy('# nothing yet\n', 'p.yaml')).toEqual({ maxPrune: '20%', block: [] });
    expect(parsePolicy('policy:\n', 'p.yaml')).toEqual({ maxPrune: '20%', block: [] });
    expect(parsePolicy('maxPrune: "3"\n', 'p.yaml')).toEqual({ maxPrune: 3, block: [] });
  });

  test('problems name the file and every bad field', () => {
    expect(fails('maxPrune: -1\nblock: RecreateDowntime\n')).toBe(
      'policy file p.yaml: maxPrune: must be a count (5) or a percentage of the inventory ("20%"); block: must be a list of impacts (RecreateDowntime, ZeroAvailability, DoubleCapacity, ReplicasManagedByHPA)',
    );
    expect(fails('policy:\n  blocks: [RecreateDowntime]\n')).toBe('policy file p.yaml: policy: unknown field(s) blocks (expected maxPrune, block, minServingRatio)');
    expect(fails('maxprune: 2\n')).toBe('policy file p.yaml: unknown field(s) maxprune (expected maxPrune, block, minServingRatio)');
    expect(fails('[1, 2]')).toBe('policy file p.yaml: expected a mapping {maxPrune, block} or a top-level policy: key');
    expect(fails('policy: 3\n')).toBe('policy file p.yaml: policy: expected a mapping {maxPrune, block}');
    expect(fails('a: [\n')).toMatch(/^policy file p\.yaml: not valid YAML: /);
  });
});
