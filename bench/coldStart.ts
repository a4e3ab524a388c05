import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { Figure } from './report';
import { atLeast, atMost, figure, median, noGoal } from './report';

/**
 * Cold start: how long a fresh `node` takes to load the app and register every function, the work
 * the Functions worker does before the first invocation. The deployment package (its entry point
 * loads the one-file bundle with the V8 code cache the build made) is measured beside the unbundled
 * app (esbuild with packages external, so the SDKs are read from node_modules as a plain `tsc` build
 * would), and beside the bundle alone, compiled from source: what a runtime whose V8 is not the
 * build's gets. Each in separate child processes, the kinds alternating, the median of each reported.
 */

/**
 * Loads `entry` with a stand-in for the worker's `@azure/functions-core` and prints
 * `{ ms, functions, codeCache }` (`codeCache` as the deployment entry point reports it).
 */
const PROBE = `
const Module = require('node:module');
const { performance } = require('node:perf_hooks');
let functions = 0;
const core = {
  setProgrammingModel() {}, getProgrammingModel() {}, log() {},
  registerHook() { return { dispose() {} }; },
  registerFunction() { functions++; return { dispose() {} }; },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
};
const started = performance.now();
const loaded = require(process.argv[1]);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, functions, codeCache: loaded.codeCache }));
`;

interface Probe {
  readonly ms: number;
  readonly functions: number;
  readonly codeCache?: string;
}

function probe(entry: string): Probe {
  const out = execFileSync(process.execPath, ['-e', PROBE, entry], {
    encoding: 'utf8',
    env: { ...process.env, WARDEN_LOG: 'quiet' },
  });
  return JSON.parse(out) as Probe;
}

export interface ColdStartResult {
  /** The deployment package: entry point + bundle + code cache. */
  readonly packageMs: number;
  /** The bundle alone, compiled from source (no code cache for the runtime's V8). */
  readonly bundleOnlyMs: number;
  readonly unbundledMs: number;
  readonly functions: number;
}

/**
 * Measures `runs` fresh processes of each kind, after one warm-up each so the page cache is fair to
 * all. `deployDir` is dist/deploy: its package.json main (the entry point) and its app.js (the bundle).
 */
export function measureColdStart(deployDir: string, unbundled: string, runs = 7): ColdStartResult {
  const entry = join(deployDir, 'index.js');
  const bundle = join(deployDir, 'app.js');
  for (const file of [entry, bundle, unbundled]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run node scripts/build.mjs (and --local)`);
  }
  const warm = [probe(entry), probe(bundle), probe(unbundled)];
  if (warm.some((p) => p.functions !== warm[0]?.functions) || warm[0]?.functions === 0) {
    throw new Error(
      `functions registered (package, bundle, unbundled): ${warm.map((p) => p.functions).join(', ')}`,
    );
  }
  if (warm[0]?.codeCache !== 'used') {
    throw new Error(`the package's code cache was not used (${warm[0]?.codeCache}): rebuild with this node`);
  }
  const times: [number[], number[], number[]] = [[], [], []];
  for (let i = 0; i < runs; i++) {
    [entry, bundle, unbundled].forEach((file, k) => times[k]?.push(probe(file).ms));
  }
  return {
    packageMs: median(times[0]),
    bundleOnlyMs: median(times[1]),
    unbundledMs: median(times[2]),
    functions: warm[0]?.functions ?? 0,
  };
}

export function benchColdStart(deployDir: string, unbundled: string, runs = 7): Figure[] {
  const r = measureColdStart(deployDir, unbundled, runs);
  const unbundledLoad = { name: 'unbundled load', value: Math.round(r.unbundledMs) };
  return [
    figure({
      name: `cold start: load the package (${r.functions} functions)`,
      value: Math.round(r.packageMs),
      unit: 'ms (median)',
      baseline: unbundledLoad,
      goal: atMost(250, 'ms'),
      kind: 'absolute',
    }),
    figure({
      name: 'cold start: speed-up of the package',
      value: Math.round((r.unbundledMs / r.packageMs) * 10) / 10,
      unit: 'x faster',
      baseline: { name: 'unbundled', value: 1 },
      goal: atLeast(3, 'x'),
      kind: 'ratio',
    }),
    figure({
      name: 'cold start: bundle alone, no code cache',
      value: Math.round(r.bundleOnlyMs),
      unit: 'ms (median)',
      baseline: unbundledLoad,
      goal: noGoal("what a runtime whose V8 is not the build's gets"),
      kind: 'absolute',
    }),
  ];
}
