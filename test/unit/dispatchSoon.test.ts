import { DISPATCH_SOON_MS, DISPATCH_SPACING_MS, soonAndSpaced } from '../../shared/notify/notifier';

/** The dispatch that follows enqueues: soon after a quiet spell, spaced during a burst, never overlapping. */
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Lets the runs chained on promises settle between timer steps. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

test('after a quiet spell the dispatch runs soon after the enqueue, once for kicks meanwhile', async () => {
  const starts: number[] = [];
  const kick = soonAndSpaced(() => (starts.push(Date.now()), Promise.resolve()), fail);
  const t0 = Date.now();
  kick();
  kick();
  await jest.advanceTimersByTimeAsync(DISPATCH_SOON_MS - 1);
  expect(starts).toEqual([]);
  await jest.advanceTimersByTimeAsync(1);
  expect(starts).toEqual([t0 + DISPATCH_SOON_MS]);
});

test('a burst of enqueues dispatches at most once per spacing', async () => {
  const starts: number[] = [];
  const kick = soonAndSpaced(() => (starts.push(Date.now()), Promise.resolve()), fail);
  const t0 = Date.now();
  // An enqueue every 10 ms for 5 s.
  for (let t = 0; t < 5_000; t += 10) {
    kick();
    await jest.advanceTimersByTimeAsync(10);
    await settle();
  }
  expect(starts.length).toBeGreaterThanOrEqual(4);
  expect(starts.length).toBeLessThanOrEqual(Math.ceil(5_000 / DISPATCH_SPACING_MS) + 1);
  for (let i = 1; i < starts.length; i++)
    expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(DISPATCH_SPACING_MS);
  expect(starts[0]).toBe(t0 + DISPATCH_SOON_MS);
});

test('a run never overlaps the one before, and a failed run is reported and does not stop the next', async () => {
  let inFlight = 0;
  let most = 0;
  const failures: unknown[] = [];
  let n = 0;
  const kick = soonAndSpaced(
    () =>
      new Promise<void>((resolve, reject) => {
        inFlight++;
        most = Math.max(most, inFlight);
        setTimeout(() => {
          inFlight--;
          if (++n === 1) reject(new Error('storage down'));
          else resolve();
        }, 3 * DISPATCH_SPACING_MS);
      }),
    (e) => failures.push(e),
  );
  kick();
  await jest.advanceTimersByTimeAsync(DISPATCH_SOON_MS + 10);
  kick();
  await jest.advanceTimersByTimeAsync(10 * DISPATCH_SPACING_MS);
  expect(n).toBe(2);
  expect(most).toBe(1);
  expect(failures).toHaveLength(1);
});

function fail(e: unknown): never {
  throw e instanceof Error ? e : new Error(String(e));
}
