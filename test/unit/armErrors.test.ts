import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';

import { armErrorOf, parseErrorBody, retryAfterMs, toWardenError } from '../../shared/azure/armErrors';
import { CallGate, CallStats, gatePolicy } from '../../shared/azure/callGate';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TransientError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/errors';

const restError = (statusCode: number, code?: string): Error =>
  Object.assign(new Error(`status ${statusCode}`), { statusCode, code });

describe('ARM errors mapped to Warden errors', () => {
  it('keeps code and subcode from the raw body (the SDK drops subcode)', () => {
    const body = JSON.stringify({
      error: {
        code: 'ValidationError',
        subcode: 'UpgradeBlockedOnDeprecatedAPIUsage',
        message: 'blocked: usage of X',
      },
    });
    const e = toWardenError(restError(400, 'ValidationError'), 'upgrade', { status: 400, bodyText: body });
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).detail).toBe('blocked: usage of X');
    expect(armErrorOf(e)).toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
      subcode: 'UpgradeBlockedOnDeprecatedAPIUsage',
    });
  });

  it('maps statuses to the closed error set', () => {
    const kinds: [number, unknown][] = [
      [401, UnauthorizedError],
      [403, ForbiddenError],
      [404, NotFoundError],
      [409, ConflictError],
      [412, ConflictError],
      [429, TransientError],
      [500, TransientError],
      [503, TransientError],
    ];
    for (const [status, kind] of kinds) expect(toWardenError(restError(status), 'x')).toBeInstanceOf(kind);
  });

  it('keeps Retry-After on a transient error, and treats a refused connection as transient', () => {
    const e = toWardenError(restError(429), 'x', { status: 429, retryAfterMs: 7000 });
    expect((e as TransientError).retryAfterMs).toBe(7000);
    const net = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toWardenError(net, 'x')).toBeInstanceOf(TransientError);
  });

  it('leaves a non-HTTP failure (an SDK parse error) as it is', () => {
    const parse = new TypeError("Cannot read properties of null (reading 'map')");
    expect(toWardenError(parse, 'x')).toBe(parse);
  });

  it('reads bare and wrapped error bodies, and Retry-After in seconds, ms or as a date', () => {
    expect(parseErrorBody('{"code":"A","message":"m"}')).toEqual({ code: 'A', message: 'm' });
    expect(parseErrorBody('not json')).toEqual({});
    const headers = (h: Record<string, string>) => (n: string) => h[n];
    expect(retryAfterMs(headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(
      retryAfterMs(
        headers({ 'retry-after': 'Wed, 25 Nov 2026 15:00:10 GMT' }),
        Date.parse('2026-11-25T15:00:00Z'),
      ),
    ).toBe(10_000);
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });
});

describe('call gate', () => {
  it('never has more than its concurrency in flight', async () => {
    const gate = new CallGate(2);
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        gate.run(async () => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setImmediate(r));
          inFlight--;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  it('holds every call after a pause until it has passed', async () => {
    const slept: number[] = [];
    const gate = new CallGate(4, (ms) => {
      slept.push(ms);
      return new Promise((r) => setTimeout(r, ms));
    });
    gate.pause(40);
    await gate.run(() => Promise.resolve());
    expect(slept.length).toBeGreaterThan(0);
    expect(slept[0]).toBeGreaterThan(20);
  });

  it('a nearly empty write bucket holds the subscription for its refill; a full one does not', async () => {
    const slept: number[] = [];
    const gate = new CallGate(4, (ms) => {
      slept.push(ms);
      return new Promise((r) => setTimeout(r, ms));
    });
    const answer = (remaining: string) =>
      gatePolicy(gate, new CallStats(), 'arm').sendRequest(
        createPipelineRequest({ url: 'https://management.azure.test/x', method: 'PUT' }),
        (request) =>
          Promise.resolve({
            request,
            status: 200,
            headers: createHttpHeaders({ 'x-ms-ratelimit-remaining-subscription-writes': remaining }),
          }),
      );
    await answer('150');
    await gate.run(() => Promise.resolve());
    expect(slept).toEqual([]);
    await answer('4');
    await gate.run(() => Promise.resolve());
    expect(slept.length).toBeGreaterThan(0);
    expect(slept[0]).toBeGreaterThan(500);
  });
});
