import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed approval tokens: HMAC-SHA256 over what an approval is bound to — the plan, the
 * approver, the exact target version and node image, the window, the expiry — and the approval round's
 * random request id (the nonce). Two keys: links signed with the previous key keep working through a
 * rotation. A token is single use because the decision it carries is recorded for (round, approver)
 * by an ETag-conditional write; a second use finds the decision already there.
 *
 * Wire form: `v1.<base64url(JSON array of claims)>.<base64url(HMAC)>`. The claims are readable (they
 * are not secret); the signature is what cannot be forged.
 */
export interface ApprovalClaims {
  readonly planId: string;
  /** Lower-case email of the person the link was sent to. */
  readonly approver: string;
  /** Target control-plane version. */
  readonly target: string;
  /** Target node image, or '' for version plans. */
  readonly nodeImage: string;
  /** Short digest of the plan's window (see `windowDigest`). */
  readonly window: string;
  readonly round: number;
  /** The round's random request id. */
  readonly requestId: string;
  /** Expiry, epoch seconds. */
  readonly exp: number;
}

export interface ApprovalKeys {
  readonly current: Buffer;
  readonly previous?: Buffer;
}

export type TokenCheck =
  | { readonly ok: true; readonly claims: ApprovalClaims }
  | { readonly ok: false; readonly problem: 'malformed' | 'signature' }
  | { readonly ok: false; readonly problem: 'expired'; readonly claims: ApprovalClaims };

const VERSION = 'v1';
const MAX_TOKEN_CHARS = 2048;

export function windowDigest(windowKey: string): string {
  return createHash('sha256').update(windowKey).digest('base64url').slice(0, 16);
}

function mac(key: Buffer, signed: string): Buffer {
  return createHmac('sha256', key).update(signed).digest();
}

export function signToken(claims: ApprovalClaims, keys: ApprovalKeys): string {
  const body = Buffer.from(
    JSON.stringify([
      claims.planId,
      claims.approver,
      claims.target,
      claims.nodeImage,
      claims.window,
      claims.round,
      claims.requestId,
      claims.exp,
    ]),
  ).toString('base64url');
  const signed = `${VERSION}.${body}`;
  return `${signed}.${mac(keys.current, signed).toString('base64url')}`;
}

function decodeClaims(body: string): ApprovalClaims | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 8) return undefined;
  const [planId, approver, target, nodeImage, window, round, requestId, exp] = parsed as unknown[];
  const strings = [planId, approver, target, nodeImage, window, requestId];
  if (!strings.every((s) => typeof s === 'string')) return undefined;
  if (
    typeof round !== 'number' ||
    !Number.isInteger(round) ||
    typeof exp !== 'number' ||
    !Number.isInteger(exp)
  )
    return undefined;
  return {
    planId: planId as string,
    approver: approver as string,
    target: target as string,
    nodeImage: nodeImage as string,
    window: window as string,
    round,
    requestId: requestId as string,
    exp,
  };
}

/**
 * Checks a token: its shape, then its signature against both keys in constant time, then its expiry.
 * The claims are trusted only when the signature matched.
 */
export function verifyToken(token: string, keys: ApprovalKeys, now: Date): TokenCheck {
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, problem: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, problem: 'malformed' };
  const [, body = '', sig = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]{43}$/.test(sig))
    return { ok: false, problem: 'malformed' };
  // Compared as text: decoding would ignore the last character's two spare bits, so four spellings of
  // one signature would pass, and a link could be altered and still work.
  const given = Buffer.from(sig, 'ascii');
  const signed = `${VERSION}.${body}`;
  const matches = [keys.current, keys.previous]
    .filter((k): k is Buffer => k !== undefined)
    .map((k) => {
      const expected = Buffer.from(mac(k, signed).toString('base64url'), 'ascii');
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  if (!matches.some(Boolean)) return { ok: false, problem: 'signature' };
  const claims = decodeClaims(body);
  if (!claims) return { ok: false, problem: 'malformed' };
  if (now.getTime() >= claims.exp * 1000) return { ok: false, problem: 'expired', claims };
  return { ok: true, claims };
}

/** Parses `WARDEN_APPROVAL_KEYS` (`current[,previous]`, each base64 or base64url of at least 32 bytes). */
export function parseApprovalKeys(text: string): ApprovalKeys | string {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0 || parts.length > 2) return 'must be one or two keys: current[,previous]';
  const keys: Buffer[] = [];
  for (const [i, p] of parts.entries()) {
    if (!/^[A-Za-z0-9+/_=-]+$/.test(p)) return `key ${i + 1} is not base64`;
    const key = Buffer.from(p.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length < 32) return `key ${i + 1} is ${key.length} bytes; at least 32 are needed`;
    keys.push(key);
  }
  const [current, previous] = keys;
  if (current === undefined) return 'no key';
  return previous === undefined ? { current } : { current, previous };
}
