import { randomBytes } from 'node:crypto';

import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import { ApprovalLinks } from '../shared/approvals/links';
import { WaveLinks } from '../shared/approvals/waveLinks';
import { parsePolicy } from '../shared/domain/policy';
import { silentLogger } from '../shared/logging';
import { TableOutbox } from '../shared/store/outboxStore';
import { TablePlanStore } from '../shared/store/planStore';
import { RequestCounter, Tables } from '../shared/store/tables';
import { TableWaveStore } from '../shared/store/waveStore';
import { decideApproval } from '../shared/usecases/decideApproval';
import { proposePlansForCluster } from '../shared/usecases/proposePlans';
import { decideWave, tickWaves } from '../shared/usecases/waves';
import { BENCH_REGION, benchCluster } from './approval';
import type { Figure } from './report';
import { figure, noGoal, pool, ratioAtMost } from './report';
import type { BenchStorage } from './storageProcess';

/** Counts the storage requests that write (everything but GET), the cost a decision adds to the account. */
class WriteCounter extends RequestCounter {
  override readonly policy: PipelinePolicy = {
    name: 'benchWriteCounter',
    sendRequest: (request, next) => {
      this.count += request.method === 'GET' ? 0 : 1;
      return next(request);
    },
  };
}

const SIZE = 200;
const POLICY = `
gatedRings: [canary]
routes: { canary: { email: [oncall@bench.example] } }
waves: { largest: ${SIZE} }
`;
const NO_WAVES = POLICY.replace(/^waves:.*$/m, '');

/**
 * Plans, waves and the outbox under one table prefix. Built again over the same prefix and keys for the
 * decision, as the instance that takes a click hours after the request is not the one that asked.
 */
function world(
  azurite: BenchStorage,
  policyText: string,
  prefix = `bw${randomBytes(4).toString('hex')}`,
  keys = { current: randomBytes(32) },
) {
  const counter = new WriteCounter();
  const tables = new Tables(
    { kind: 'connectionString', connectionString: azurite.connectionString },
    prefix,
    counter,
  );
  const policy = parsePolicy(policyText);
  const outbox = new TableOutbox(tables, (n) => [
    { channel: 'email', to: n.recipient ?? 'oncall@bench.example' },
  ]);
  const plans = new TablePlanStore(tables, outbox);
  let n = 0;
  const deps = {
    plans,
    links: new ApprovalLinks(keys, 'http://bench.test'),
    policy,
    keys,
    newId: () => `bw${Date.now().toString(36)}${++n}`,
    log: silentLogger,
    waves: new TableWaveStore(tables),
    waveLinks: new WaveLinks(keys, 'http://bench.test'),
    outbox,
  };
  return { counter, deps, outbox, again: () => world(azurite, policyText, prefix, keys) };
}

async function propose(w: ReturnType<typeof world>, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  await pool(SIZE, 8, async (i) => {
    const [o] = await proposePlansForCluster(
      w.deps,
      benchCluster(`aks-${prefix}-${i}`, '00000000-0000-0000-0000-0000000000bf'),
      BENCH_REGION,
      new Date(),
      {
        by: { actor: 'warden', source: { kind: 'sweep' } },
        reason: 'bench',
      },
    );
    if (o?.status !== 'awaiting-approval')
      throw new Error(`bench plan not awaiting approval: ${JSON.stringify(o)}`);
    ids[i] = o.planId ?? '';
  });
  return ids;
}

/**
 * Approving a 200-plan wave with one decision, beside approving the same 200 plans one link at a time
 * (the same run, the same Azurite): the wall time and the storage writes of the decision alone. Goal:
 * a wave writes no more than the plans' own decisions would (<= 1.1 x); its time is printed.
 */
export async function benchWaves(azurite: BenchStorage): Promise<Figure[]> {
  const asking = world(azurite, NO_WAVES);
  const singleIds = await propose(asking, 'single');
  const single = asking.again();
  const stored = await Promise.all(singleIds.map((id) => single.deps.plans.get(id)));
  const tokens = stored.map((s) => {
    const url = s === undefined ? undefined : single.deps.links.linkFor(s.plan, 'oncall@bench.example');
    return new URL(url ?? 'http://x/').searchParams.get('token') ?? '';
  });
  const singleWrites0 = single.counter.count;
  const t0 = performance.now();
  for (const [i, planId] of singleIds.entries())
    await decideApproval(
      single.deps,
      { planId, token: tokens[i], decision: 'approve', comment: '', source: {} },
      () => new Date(),
    );
  const singleMs = performance.now() - t0;
  const singleWrites = single.counter.count - singleWrites0;

  const waveAsking = world(azurite, POLICY);
  await propose(waveAsking, 'wave');
  await tickWaves(waveAsking.deps, () => new Date());
  const wave = waveAsking.again();
  const request = (await wave.outbox.list({})).find((r) => r.kind === 'approval-requested');
  const link = new URL(request?.notice.actions[0]?.url ?? 'http://x/');
  const waveId = decodeURIComponent(link.pathname.split('/').at(-1) ?? '');
  const waveWrites0 = wave.counter.count;
  const t1 = performance.now();
  const r = await decideWave(
    wave.deps,
    { waveId, token: link.searchParams.get('token') ?? '', decision: 'approve', comment: '', source: {} },
    () => new Date(),
  );
  const waveMs = performance.now() - t1;
  const waveWrites = wave.counter.count - waveWrites0;
  if (r.outcome.decided.length !== SIZE)
    throw new Error(`the wave decided ${r.outcome.decided.length} of ${SIZE}`);
  return [
    figure({
      name: `wave approval of ${SIZE} plans`,
      value: waveMs,
      unit: 'ms',
      baseline: { name: `${SIZE} single approvals`, value: singleMs },
      goal: noGoal('a time on a shared machine'),
      kind: 'absolute',
    }),
    figure({
      name: `wave approval of ${SIZE} plans: table writes`,
      value: waveWrites,
      unit: 'requests',
      baseline: { name: `${SIZE} single approvals`, value: singleWrites },
      goal: ratioAtMost(1.1),
      kind: 'ratio',
    }),
  ];
}
