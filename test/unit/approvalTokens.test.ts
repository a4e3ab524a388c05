import { randomBytes } from 'node:crypto';

import type { ApprovalClaims } from '../../shared/approvals/tokens';
import { parseApprovalKeys, signToken, verifyToken } from '../../shared/approvals/tokens';

const keys = { current: randomBytes(32) };
const now = new Date('2026-11-25T10:00:00Z');
const claims: ApprovalClaims = {
  planId: 'plan-1',
  approver: 'oncall@contoso.com',
  target: '1.30.3',
  nodeImage: '',
  window: 'abc',
  round: 1,
  requestId: 'req-1',
  exp: Math.floor(now.getTime() / 1000) + 3600,
};

function tamper(token: string, change: (c: unknown[]) => void): string {
  const [v, body, sig] = token.split('.');
  const arr = JSON.parse(Buffer.from(body!, 'base64url').toString()) as unknown[];
  change(arr);
  return `${v}.${Buffer.from(JSON.stringify(arr)).toString('base64url')}.${sig}`;
}

describe('approval tokens', () => {
  test('a signed token verifies and carries its claims', () => {
    expect(verifyToken(signToken(claims, keys), keys, now)).toEqual({ ok: true, claims });
  });

  test.each([
    ['plan id', 0, 'plan-2'],
    ['approver', 1, 'mallory@contoso.com'],
    ['target version', 2, '1.31.1'],
    ['node image', 3, 'AKSUbuntu-2204gen2containerd-202612.01.0'],
    ['window', 4, 'other'],
    ['round', 5, 2],
    ['nonce', 6, 'req-2'],
    ['expiry', 7, claims.exp + 86_400],
  ])('changing the %s breaks the signature', (_name, index, value) => {
    const forged = tamper(signToken(claims, keys), (c) => (c[index] = value));
    expect(verifyToken(forged, keys, now)).toEqual({ ok: false, problem: 'signature' });
  });

  test('only the one spelling of the signature is accepted (base64url has spare bits in its last character)', () => {
    const token = signToken(claims, keys);
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The characters whose top four bits are the signature's: they decode to the same bytes.
    const sameBytes = [...alphabet].filter(
      (ch) => ch !== last && alphabet.indexOf(ch) >> 2 === alphabet.indexOf(last) >> 2,
    );
    expect(sameBytes).toHaveLength(3);
    for (const ch of sameBytes) {
      const variant = token.slice(0, -1) + ch;
      expect(Buffer.from(variant.split('.')[2]!, 'base64url')).toEqual(
        Buffer.from(token.split('.')[2]!, 'base64url'),
      );
      expect(verifyToken(variant, keys, now)).toEqual({ ok: false, problem: 'signature' });
    }
  });

  test('a token signed with another key, or garbage, is refused', () => {
    expect(verifyToken(signToken(claims, { current: randomBytes(32) }), keys, now)).toEqual({
      ok: false,
      problem: 'signature',
    });
    for (const bad of ['', 'abc', 'v1.x.y', 'v2.a.b', `v1.${'a'.repeat(3000)}.b`]) {
      expect(verifyToken(bad, keys, now).ok).toBe(false);
    }
  });

  test('expired tokens are recognised after the signature check', () => {
    const t = signToken({ ...claims, exp: claims.exp - 7200 }, keys);
    expect(verifyToken(t, keys, now)).toMatchObject({
      ok: false,
      problem: 'expired',
      claims: { planId: 'plan-1' },
    });
  });

  test('key rotation: links signed with the previous key still verify', () => {
    const old = randomBytes(32);
    const rotated = { current: randomBytes(32), previous: old };
    expect(verifyToken(signToken(claims, { current: old }), rotated, now).ok).toBe(true);
    expect(verifyToken(signToken(claims, rotated), rotated, now).ok).toBe(true);
  });

  test('WARDEN_APPROVAL_KEYS: one or two base64 keys of 32+ bytes', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(48).toString('base64url');
    expect(parseApprovalKeys(`${a},${b}`)).toMatchObject({
      current: expect.any(Buffer),
      previous: expect.any(Buffer),
    });
    expect(parseApprovalKeys('c2hvcnQ=')).toMatch(/at least 32/);
    expect(parseApprovalKeys(`${a},${a},${a}`)).toMatch(/one or two/);
    expect(parseApprovalKeys('not base64!')).toMatch(/not base64/);
  });
});
