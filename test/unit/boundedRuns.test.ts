import { runBounded } from '../../shared/usecases/boundedRuns';

/** A task per item that ends when the test says so, recording what was in flight. */
function gated() {
  const open = new Map<string, () => void>();
  const started: string[] = [];
  const inFlight = (): string[] => [...open.keys()];
  const task = (item: string): Promise<void> =>
    new Promise<void>((resolve) => {
      started.push(item);
      open.set(item, () => {
        open.delete(item);
        resolve();
      });
    });
  const finish = async (item: string): Promise<void> => {
    open.get(item)?.();
    // Let runBounded take the next item.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { task, started, inFlight, finish };
}

const groupOf = (item: string): string => item.slice(0, 1);

describe('runBounded', () => {
  test('takes the items in order, at most `total` at once and `perGroup` of a group; a full group lets later groups go first', async () => {
    const g = gated();
    const done = runBounded(['a1', 'a2', 'a3', 'b1', 'b2', 'c1'], { total: 3, perGroup: 2 }, groupOf, g.task);
    await g.finish('none');
    expect(g.inFlight()).toEqual(['a1', 'a2', 'b1']);
    await g.finish('a1');
    // a3 is next in order and its group has room again.
    expect(g.inFlight()).toEqual(['a2', 'b1', 'a3']);
    await g.finish('b1');
    expect(g.inFlight()).toEqual(['a2', 'a3', 'b2']);
    await g.finish('a2');
    expect(g.inFlight()).toEqual(['a3', 'b2', 'c1']);
    for (const item of ['a3', 'b2', 'c1']) await g.finish(item);
    await expect(done).resolves.toEqual([]);
    expect(g.started).toEqual(['a1', 'a2', 'b1', 'a3', 'b2', 'c1']);
  });

  test('once stop() answers true it takes nothing more, lets the running ones end, and returns the rest in order', async () => {
    const g = gated();
    let stop = false;
    const done = runBounded(
      ['a1', 'b1', 'a2', 'b2', 'c1'],
      { total: 2, perGroup: 1 },
      groupOf,
      g.task,
      () => stop,
    );
    await g.finish('none');
    expect(g.inFlight()).toEqual(['a1', 'b1']);
    stop = true;
    await g.finish('a1');
    expect(g.inFlight()).toEqual(['b1']);
    await g.finish('b1');
    await expect(done).resolves.toEqual(['a2', 'b2', 'c1']);
    expect(g.started).toEqual(['a1', 'b1']);
  });

  test('nothing to run, or stopped before the first: nothing is started', async () => {
    const g = gated();
    await expect(runBounded([], { total: 4, perGroup: 1 }, groupOf, g.task)).resolves.toEqual([]);
    await expect(
      runBounded(['a1', 'b1'], { total: 4, perGroup: 1 }, groupOf, g.task, () => true),
    ).resolves.toEqual(['a1', 'b1']);
    expect(g.started).toEqual([]);
  });
});
