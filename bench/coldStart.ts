import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import type { Figure } from './report';

/**
 * Cold start: how long a fresh `node` takes to load the app and register every function, the work
 * the Functions worker does before the first invocation. The deployment bundle (one file, every
 * dependency inlined) is measured beside the unbundled app (esbuild with packages external, so the
 * SDKs are read from node_modules as a plain `tsc` build would), in separate child processes, the two
 * kinds alternating, and the median of each reported.
 */

/** Loads `entry` with a stand-in for the worker's `@azure/functions-core` and prints `{ ms, functions }`. */
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
require(process.argv[1]);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, functions }));
`;

interface Probe {
  readonly ms: number;
  readonly functions: number;
}

function probe(entry: string): Probe {
  const out = execFileSync(process.execPath, ['-e', PROBE, entry], {
    encoding: 'utf8',
    env: { ...process.env, WARDEN_LOG: 'quiet' },
  });
  return JSON.parse(out) as Probe;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export interface ColdStartResult {
  readonly bundledMs: number;
  readonly unbundledMs: number;
  readonly functions: number;
}

/** Measures `runs` fresh processes of each kind (after one warm-up each, so the page cache is fair to both). */
export function measureColdStart(bundle: string, unbundled: string, runs = 7): ColdStartResult {
  for (const entry of [bundle, unbundled]) {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run node scripts/build.mjs (and --local)`);
  }
  const first = probe(bundle);
  const other = probe(unbundled);
  if (first.functions !== other.functions || first.functions === 0) {
    throw new Error(
      `the bundle registers ${first.functions} functions, the unbundled app ${other.functions}`,
    );
  }
  const bundled: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < runs; i++) {
    bundled.push(probe(bundle).ms);
    plain.push(probe(unbundled).ms);
  }
  return { bundledMs: median(bundled), unbundledMs: median(plain), functions: first.functions };
}

export function benchColdStart(bundle: string, unbundled: string, runs = 7): Figure[] {
  const r = measureColdStart(bundle, unbundled, runs);
  return [
    {
      name: `cold start: load bundled app (${r.functions} functions)`,
      value: Math.round(r.bundledMs),
      unit: 'ms (median)',
      baseline: 'unbundled load',
      baselineValue: Math.round(r.unbundledMs),
      goal: '<= 250 ms',
    },
    {
      name: 'cold start: speed-up of the bundle',
      value: Math.round((r.unbundledMs / r.bundledMs) * 10) / 10,
      unit: 'x faster',
      baseline: 'unbundled',
      baselineValue: 1,
      goal: '>= 3x',
    },
  ];
}
