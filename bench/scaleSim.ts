import { startSimulator } from '../local/sim';

/**
 * The simulator in a process of its own for the scale bench (as ARM is remote from Warden), so a
 * measured invocation's memory is its own and not the simulated fleet's. Arguments: the fleet
 * (`generate:N,S,R,P`) and the latency per call (ms). Talks over IPC: sends its endpoint and
 * subscriptions once ready; answers `stats` with the counters and `calls` with the call log since the
 * last `clear`, and
 * `{ release: version }` by offering the version in every region (as `POST /_sim/release`).
 */
async function main(): Promise<void> {
  const [fleet = '', latency = '20'] = process.argv.slice(2);
  const sim = await startSimulator({ fleet, latencyMs: Number(latency) });
  process.on('message', (message: unknown) => {
    if (message === 'stats') process.send?.({ stats: sim.stats() });
    if (message === 'calls') process.send?.({ calls: sim.calls() });
    if (message === 'clear') {
      sim.clearCalls();
      process.send?.({ cleared: true });
    }
    if (message === 'close') void sim.close().then(() => process.exit(0));
    if (typeof message === 'object' && message !== null && 'release' in message) {
      const version = String(message.release);
      const added = [...sim.fleet.regions.keys()].filter((region) => sim.release(region, version).added);
      process.send?.({ released: added.length });
    }
  });
  process.send?.({
    armUrl: sim.armUrl,
    caCertPem: sim.caCertPem,
    subscriptionIds: [...sim.fleet.subscriptions.values()].map((s) => s.id),
  });
}

void main();
