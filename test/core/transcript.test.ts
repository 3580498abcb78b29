import fc from 'fast-check';
import { canonicalJson, chainEntries, GenesisHash, verifyChain } from '../../src/core/transcript';

/**
 * The definition the stored hashes were made with (before issue 20): `JSON.stringify` with a
 * replacer that rebuilds every object from its entries sorted by key. `canonicalJson` writes
 * the text directly; it must stay the same text byte for byte, or every stored chain breaks.
 */
function byDefinition(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

// Keys a hostile script result may carry: integer-like ones (listed first by objects), ones
// past the array-index range, unicode, JSON's escapes, __proto__.
const key = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '0',
    '1',
    '10',
    '9',
    '01',
    '-1',
    '4294967294',
    '4294967295',
    '1e3',
    '__proto__',
    'é',
    '\u2028',
    '"',
  ),
  fc.nat().map(String),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('canonicalJson', () => {
  test('writes what the replacer definition writes, for any JSON value', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).toBe(byDefinition(value));
      }),
      { numRuns: 2_000 },
    );
  });

  test('as JSON.stringify does: undefined and functions left out of objects, null in arrays, toJSON used', () => {
    const value = {
      b: undefined,
      a: [undefined, () => 1, new Date(0)],
      10: { toJSON: () => ({ z: 1, y: 2 }) },
      2: 'two',
    };
    expect(canonicalJson(value)).toBe(byDefinition(value));
    expect(canonicalJson(value)).toBe(
      '{"2":"two","10":{"y":2,"z":1},"a":[null,null,"1970-01-01T00:00:00.000Z"]}',
    );
  });

  test('an own __proto__ key (hostile script output) is written as a key, never as the prototype', () => {
    const value = JSON.parse('{"x":[{"__proto__":{"b":1,"a":2}}],"y":{}}') as unknown;
    expect(canonicalJson(value)).toBe(byDefinition(value));
    expect(canonicalJson(value)).toBe('{"x":[{"__proto__":{"a":2,"b":1}}],"y":{}}');
  });

  test('a chain made with it verifies, and a changed entry does not', () => {
    const entries = chainEntries(
      'inc-1',
      undefined,
      [
        { kind: 'incident.started', actor: 'U1', data: { vm: { name: 'vm-1' }, 1: 'x' } },
        { kind: 'step.approved', actor: 'U2', data: { stepId: 'diagnose', attempt: 1 } },
      ],
      '2026-12-01T00:00:00.000Z',
    );
    expect(entries[0]!.prevHash).toBe(GenesisHash);
    expect(verifyChain(entries)).toEqual({ ok: true, entries: 2 });
    const changed = entries.map((e, i) => (i === 0 ? { ...e, data: { ...e.data, 1: 'y' } } : e));
    expect(verifyChain(changed)).toMatchObject({ ok: false, seq: 1 });
  });
});
