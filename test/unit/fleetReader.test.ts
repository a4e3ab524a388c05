import type { ClusterRef } from '../../shared/domain/armId';
import { parseClusterId } from '../../shared/domain/armId';
import type { RegionVersions } from '../../shared/domain/versions';
import type { StoredCluster } from '../../shared/store/clusterStore';
import type { SweepOne } from '../../shared/usecases/fleetReader';
import { ADOPTIONS_PER_MINUTE, storeFleetReader } from '../../shared/usecases/fleetReader';
import { MemoryClusterStore, snapshotOf } from '../helpers/memoryClusterStore';

/**
 * The planning reaction's fleet reader: stored clusters are read from the store; a cluster no sweep
 * stored yet is swept on sight, within a budget, once at a time, and not asked about again soon when
 * it turned out to be out of scope.
 */
const SUB = '00000000-0000-4000-8000-00000000c0de';
const REGION: RegionVersions = { location: 'westeurope', versions: [] } as unknown as RegionVersions;

function refOf(name: string): ClusterRef {
  const ref = parseClusterId(
    `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
  );
  if (!ref) throw new Error(name);
  return ref;
}

function storedOf(name: string): StoredCluster {
  return {
    snapshot: snapshotOf({ subscriptionId: SUB, name }),
    findings: [{ code: 'c', severity: 'warning', message: `finding of ${name}`, guidance: 'g' }],
    sweepId: 's',
    etag: 'e',
  } as unknown as StoredCluster;
}

function world(sweepOne?: SweepOne) {
  const store = new MemoryClusterStore();
  let t = Date.parse('2026-11-25T10:00:00Z');
  const lines: string[] = [];
  const versions = jest.fn(() => Promise.resolve(REGION));
  const reader = storeFleetReader(
    store,
    { listKubernetesVersions: versions },
    () => new Date(t),
    sweepOne ? { sweepOne, log: (line) => lines.push(line) } : undefined,
  );
  return { store, reader, lines, versions, advance: (ms: number) => (t += ms) };
}

describe('storeFleetReader', () => {
  it('reads a stored cluster from the store and never looks it up', async () => {
    const sweepOne = jest.fn<ReturnType<SweepOne>, Parameters<SweepOne>>();
    const w = world(sweepOne);
    w.store.put(storedOf('aks-known'));
    const snapshot = await w.reader.cluster(refOf('aks-known'));
    expect(snapshot?.name).toBe('aks-known');
    expect(w.reader.findings?.(snapshot!)).toEqual([
      expect.objectContaining({ message: 'finding of aks-known' }),
    ]);
    expect(sweepOne).not.toHaveBeenCalled();
  });

  it('without a sweeper, an unknown cluster is a miss', async () => {
    const w = world();
    expect(await w.reader.cluster(refOf('aks-new'))).toBeUndefined();
  });

  it('sweeps an unknown cluster on sight, with its findings, and the region read through the cache', async () => {
    const sweepOne = jest.fn<ReturnType<SweepOne>, Parameters<SweepOne>>(async (ref, regionVersions) => {
      expect(await regionVersions(SUB, 'westeurope')).toBe(REGION);
      return storedOf(ref.name);
    });
    const w = world(sweepOne);
    const snapshot = await w.reader.cluster(refOf('aks-new'));
    expect(snapshot?.name).toBe('aks-new');
    expect(w.reader.findings?.(snapshot!)).toHaveLength(1);
    expect(w.lines).toEqual(['cluster aks-new was not known yet: swept it now']);
    await w.reader.regionVersions(SUB, 'westeurope');
    expect(w.versions).toHaveBeenCalledTimes(1);
  });

  it('looks up one cluster once when a batch names it several times', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const sweepOne = jest.fn<ReturnType<SweepOne>, Parameters<SweepOne>>(async (ref) => {
      await gate;
      return storedOf(ref.name);
    });
    const w = world(sweepOne);
    const reads = [1, 2, 3].map(() => w.reader.cluster(refOf('aks-new')));
    release();
    expect((await Promise.all(reads)).map((s) => s?.name)).toEqual(['aks-new', 'aks-new', 'aks-new']);
    expect(sweepOne).toHaveBeenCalledTimes(1);
  });

  it('does not ask again for ten minutes about a cluster found out of scope', async () => {
    const sweepOne = jest.fn<ReturnType<SweepOne>, Parameters<SweepOne>>(() => Promise.resolve(undefined));
    const w = world(sweepOne);
    expect(await w.reader.cluster(refOf('aks-foreign'))).toBeUndefined();
    expect(w.lines[0]).toMatch(/aks-foreign is not in Warden's scope/);
    w.advance(9 * 60_000);
    expect(await w.reader.cluster(refOf('aks-foreign'))).toBeUndefined();
    expect(sweepOne).toHaveBeenCalledTimes(1);
    w.advance(2 * 60_000);
    await w.reader.cluster(refOf('aks-foreign'));
    expect(sweepOne).toHaveBeenCalledTimes(2);
  });

  it(`sweeps at most ${ADOPTIONS_PER_MINUTE} unknown clusters a minute; the rest are left to the sweep`, async () => {
    const sweepOne = jest.fn<ReturnType<SweepOne>, Parameters<SweepOne>>((ref) =>
      Promise.resolve(storedOf(ref.name)),
    );
    const w = world(sweepOne);
    const names = Array.from({ length: ADOPTIONS_PER_MINUTE + 2 }, (_, i) => `aks-${i}`);
    const found = await Promise.all(names.map((n) => w.reader.cluster(refOf(n))));
    expect(found.filter((s) => s !== undefined)).toHaveLength(ADOPTIONS_PER_MINUTE);
    expect(sweepOne).toHaveBeenCalledTimes(ADOPTIONS_PER_MINUTE);
    expect(w.lines.filter((l) => l.includes("this minute's lookups are spent"))).toHaveLength(2);

    w.advance(60_000);
    expect((await w.reader.cluster(refOf(names[names.length - 1]!)))?.name).toBe(names[names.length - 1]);
  });

  it('logs a failed lookup and answers a miss, so the event is not retried for it', async () => {
    const sweepOne = jest.fn<ReturnType<SweepOne>, Parameters<SweepOne>>(() =>
      Promise.reject(new Error('Resource Graph said 403')),
    );
    const w = world(sweepOne);
    expect(await w.reader.cluster(refOf('aks-new'))).toBeUndefined();
    expect(w.lines[0]).toMatch(
      /aks-new is not known yet and could not be looked up \(Resource Graph said 403\)/,
    );
    // A failure is not remembered as out of scope: the next event tries again.
    await w.reader.cluster(refOf('aks-new'));
    expect(sweepOne).toHaveBeenCalledTimes(2);
  });

  it('treats a cluster the sweep marked deleted as unknown (it may have been created again)', async () => {
    const sweepOne = jest.fn<ReturnType<SweepOne>, Parameters<SweepOne>>((ref) =>
      Promise.resolve(storedOf(ref.name)),
    );
    const w = world(sweepOne);
    w.store.put({ ...storedOf('aks-again'), deletedAt: '2026-11-20T00:00:00Z' });
    expect((await w.reader.cluster(refOf('aks-again')))?.name).toBe('aks-again');
    expect(sweepOne).toHaveBeenCalledTimes(1);
  });
});

describe('storeFleetReader: a region read older than an announcement', () => {
  const before: RegionVersions = {
    location: 'westeurope',
    minors: [
      {
        minor: '1.36',
        isPreview: false,
        patches: ['1.36.1', '1.36.3'],
        supportPlans: ['KubernetesOfficial'],
      },
      { minor: '1.35', isPreview: false, patches: ['1.35.8'], supportPlans: ['KubernetesOfficial'] },
    ],
  };
  const after: RegionVersions = {
    ...before,
    minors: [{ ...before.minors[0]!, patches: ['1.36.1', '1.36.3', '1.36.4'] }, before.minors[1]!],
  };

  function regionWorld(reads: RegionVersions[]) {
    let t = Date.parse('2026-11-25T10:00:00Z');
    const lines: string[] = [];
    let pending: (() => void)[] = [];
    let gated = false;
    const versions = jest.fn(async () => {
      if (gated) await new Promise<void>((r) => pending.push(r));
      return reads.length > 1 ? reads.shift()! : reads[0]!;
    });
    const reader = storeFleetReader(
      new MemoryClusterStore(),
      { listKubernetesVersions: versions },
      () => new Date(t),
      {
        log: (line) => lines.push(line),
      },
    );
    return {
      reader,
      lines,
      versions,
      advance: (ms: number) => (t += ms),
      gate: () => (gated = true),
      open: () => {
        gated = false;
        for (const r of pending) r();
        pending = [];
      },
    };
  }

  it('keeps a read for a minute when nothing new is announced', async () => {
    const w = regionWorld([before, after]);
    await w.reader.regionVersions(SUB, 'westeurope');
    w.advance(30_000);
    expect(await w.reader.regionVersions(SUB, 'westeurope', ['1.36.3', '1.35.8'])).toBe(before);
    expect(w.versions).toHaveBeenCalledTimes(1);
    w.advance(31_000);
    expect(await w.reader.regionVersions(SUB, 'westeurope')).toBe(after);
    expect(w.versions).toHaveBeenCalledTimes(2);
  });

  it('reads the region again at once when an event announces a version the kept read lacks, and says what changed', async () => {
    const w = regionWorld([before, after]);
    await w.reader.regionVersions(SUB, 'westeurope');
    w.advance(3_000);
    expect(await w.reader.regionVersions(SUB, 'westeurope', ['1.36.4', '1.35.8'])).toBe(after);
    expect(w.versions).toHaveBeenCalledTimes(2);
    expect(w.lines).toEqual(['region westeurope: Kubernetes versions changed: +1.36.4']);
    // The refreshed read is kept like any other.
    expect(await w.reader.regionVersions(SUB, 'westeurope', ['1.36.4'])).toBe(after);
    expect(w.versions).toHaveBeenCalledTimes(2);
  });

  it('concurrent announcements for one region share one refresh', async () => {
    const w = regionWorld([before, after]);
    await w.reader.regionVersions(SUB, 'westeurope');
    w.gate();
    const answers = Array.from({ length: 20 }, () =>
      w.reader.regionVersions(SUB, 'westeurope', ['1.36.4', '1.35.8']),
    );
    await new Promise((r) => setTimeout(r, 10));
    w.open();
    expect(new Set(await Promise.all(answers))).toEqual(new Set([after]));
    expect(w.versions).toHaveBeenCalledTimes(2);
    expect(w.lines).toHaveLength(1);
  });

  it('when ARM does not list the announced version yet, says so once and does not read again within the minute', async () => {
    const w = regionWorld([before]);
    await w.reader.regionVersions(SUB, 'westeurope');
    expect(await w.reader.regionVersions(SUB, 'westeurope', ['1.36.4'])).toBe(before);
    expect(await w.reader.regionVersions(SUB, 'westeurope', ['1.36.4'])).toBe(before);
    expect(w.versions).toHaveBeenCalledTimes(2);
    expect(w.lines).toEqual([
      'region westeurope: announced 1.36.4, which ARM does not list yet; the next read or sweep plans it',
    ]);
    // A different announcement is worth another read.
    await w.reader.regionVersions(SUB, 'westeurope', ['1.36.5']);
    expect(w.versions).toHaveBeenCalledTimes(3);
  });

  it('a failed refresh fails the caller (the event is retried) and leaves no broken read behind', async () => {
    const w = regionWorld([before]);
    await w.reader.regionVersions(SUB, 'westeurope');
    w.versions.mockRejectedValueOnce(new Error('ARM 503'));
    await expect(w.reader.regionVersions(SUB, 'westeurope', ['1.36.4'])).rejects.toThrow('ARM 503');
    expect(await w.reader.regionVersions(SUB, 'westeurope')).toBe(before);
  });
});
