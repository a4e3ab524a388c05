import fc from 'fast-check';

import {
  clippedJson,
  keyProblem,
  MAX_JSON_DEPTH,
  stringProblem,
  wellFormed,
} from '../../shared/store/tableLimits';

describe('clippedJson', () => {
  test('is JSON.stringify for any JSON value that fits', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(clippedJson(value, Number.MAX_SAFE_INTEGER)).toBe(JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
  });

  test('drops undefined members and writes undefined or non-finite array items as null, as JSON.stringify does', () => {
    const value = { a: undefined, b: [undefined, NaN, Infinity, 1], c: 'x' };
    expect(clippedJson(value)).toBe(JSON.stringify(value));
  });

  test('never exceeds its budget, and says it clipped', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 20, max: 200 }), (value, max) => {
        const text = clippedJson(value, max);
        expect(text.length).toBeLessThanOrEqual(max);
        if (text !== JSON.stringify(value)) expect(text.endsWith('…[clipped]')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('data nested 100,000 deep is clipped without recursion at the depth limit', () => {
    let value: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) value = { a: value };
    const text = clippedJson(value);
    expect(text.endsWith('…[clipped]')).toBe(true);
    expect(text.split('{').length - 1).toBe(MAX_JSON_DEPTH);
  });
});

describe('keyProblem', () => {
  test.each([['\u0000'], ['\u001f'], ['\u007f'], ['\u0085'], ['\u009f'], ['/'], ['\\'], ['#'], ['?']])(
    'a key with %j cannot be stored',
    (c) => {
      expect(keyProblem('the key', `sub:rg:aks${c}x`)).toMatch(
        /^the key contains U\+[0-9A-F]{4}, which a Table Storage key cannot hold/,
      );
    },
  );

  test('a key holds at most 1 KiB: 512 UTF-16 characters', () => {
    expect(keyProblem('the key', 'a'.repeat(512))).toBeUndefined();
    expect(keyProblem('the key', 'a'.repeat(513))).toBe(
      'the key is 513 characters long; a Table Storage key holds at most 512',
    );
  });

  test('ordinary keys, Unicode letters included, are fine', () => {
    expect(
      keyProblem('the key', '00000000-0000-0000-0000-000000000001:rg-fleet:aks-prod-weu-1'),
    ).toBeUndefined();
    expect(keyProblem('the key', 'sub:rg-café:aks-ü')).toBeUndefined();
  });
});

test('stringProblem: a property holds at most 32K characters', () => {
  expect(stringProblem('subject', 'x'.repeat(32_000))).toBeUndefined();
  expect(stringProblem('subject', 'x'.repeat(32_001))).toBe(
    'subject is 32001 characters long; a stored property holds at most 32000',
  );
});

test('wellFormed replaces lone surrogates and keeps pairs', () => {
  expect(wellFormed('a\ud800b\udc00c😀')).toBe('a\ufffdb\ufffdc😀');
});
