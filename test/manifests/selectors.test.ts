/** Label selectors: the string form (API labelSelector=, kustomize targets) and the structured form (matchLabels/matchExpressions), with worked cases. */
import { describe, expect, test } from 'vitest';
import { SelectorError, parseLabelSelector, selectorIsEmpty, selectorMatches } from '../../src/manifests/index.js';
import { matchesSelector } from '../../src/render/selector.js';

const web = { app: 'web', tier: 'front', 'example.com/team': 'a' };

describe('parseLabelSelector (string form)', () => {
  test.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['tier in (front, back)', true],
    ['tier notin (front)', false],
    ['tier', true],
    ['!tier', false],
    ['!canary', true],
    ['example.com/team=a,app=web', true],
    ['app=web,tier=back', false],
    ['missing!=x', true],
    ['missing in (x)', false],
    ['missing notin (x)', true],
  ])('%j on %j → %s', (sel, expected) => {
    expect(parseLabelSelector(sel)(web)).toBe(expected);
  });

  test('malformed selectors are refused with apimachinery-style texts', () => {
    expect(() => parseLabelSelector('app in (a,b')).toThrow(SelectorError);
    expect(() => parseLabelSelector('-bad-=x')).toThrow('invalid label key "-bad-"');
    expect(() => parseLabelSelector('app=bad value!')).toThrow(SelectorError);
  });

  test('kustomize targets use the same parser; a bad one names the kustomization', () => {
    expect(matchesSelector('app=web', web, 'k.yaml')).toBe(true);
    expect(matchesSelector(undefined, web, 'k.yaml')).toBe(true);
    expect(() => matchesSelector('app in (x', web, 'overlays/prod/kustomization.yaml')).toThrow(/overlays\/prod\/kustomization.yaml: .*unbalanced/);
  });
});

describe('selectorMatches (matchLabels / matchExpressions)', () => {
  test('matchLabels and every operator', () => {
    expect(selectorMatches({ matchLabels: { app: 'web' } }, web)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'db' } }, web)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, web)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, web)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, web)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, web)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Bogus' }] }, web)).toBe(false);
    expect(selectorMatches({ matchLabels: { app: 'web' } }, undefined)).toBe(false);
  });

  test('an empty selector selects everything', () => {
    expect(selectorIsEmpty({})).toBe(true);
    expect(selectorIsEmpty(undefined)).toBe(true);
    expect(selectorIsEmpty({ matchLabels: { a: 'b' } })).toBe(false);
    expect(selectorMatches({}, {})).toBe(true);
  });
});
