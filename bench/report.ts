import { readFileSync, writeFileSync } from 'node:fs';

/**
 * How a figure's verdict counts (docs/design/performance.md):
 * - `ratio`: the figure is measured beside its baseline in the same run (a speed-up, a share of the
 *   baseline's rate), so a noisy machine slows both: a FAIL fails the run;
 * - `count`: a number that does not depend on the machine's speed (storage transactions, ARM calls):
 *   a FAIL fails the run;
 * - `ceiling`: a resource one invocation may use at most (peak memory against the smallest instance):
 *   it does not depend on the machine's speed, so a FAIL fails the run;
 * - `absolute`: a time or rate on its own (ms, events/s); printed with its goal and verdict, but a FAIL
 *   does not fail the run, since a shared or slow machine misses it without any change to the code.
 */
export type FigureKind = 'ratio' | 'count' | 'ceiling' | 'absolute';

/** A goal: how it reads, and the test it puts to a figure's value (and its baseline's value). */
export interface Goal {
  readonly text: string;
  met(value: number, baseline: number): boolean;
  /** No goal at all: the verdict is INFO. */
  readonly informational?: boolean;
}

const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const withUnit = (n: number, unit: string): string => `${num(n)}${unit === '' ? '' : ` ${unit}`}`;

/** value ≤ limit. */
export function atMost(limit: number, unit = ''): Goal {
  return { text: `<= ${withUnit(limit, unit)}`, met: (v) => v <= limit };
}

/** value ≥ limit. */
export function atLeast(limit: number, unit = ''): Goal {
  return { text: `>= ${withUnit(limit, unit)}`, met: (v) => v >= limit };
}

/** value ≥ factor × baseline (a rate that keeps at least that share of its baseline's). */
export function ratioAtLeast(factor: number): Goal {
  return { text: `>= ${num(factor)} x baseline`, met: (v, b) => v >= factor * b };
}

/** value ≤ factor × baseline. */
export function ratioAtMost(factor: number): Goal {
  return { text: `<= ${num(factor)} x baseline`, met: (v, b) => v <= factor * b };
}

/** baseline ÷ value ≥ factor: a time at least `factor` times shorter than its baseline's. */
export function fasterBy(factor: number): Goal {
  return { text: `>= ${num(factor)}x faster than baseline`, met: (v, b) => v > 0 && b / v >= factor };
}

/** No goal: the figure is printed for reference (its verdict is INFO). */
export function noGoal(why = 'printed for reference'): Goal {
  return { text: `none (${why})`, met: () => true, informational: true };
}

export interface FigureSpec {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is measured beside, in the same run. */
  readonly baseline: { readonly name: string; readonly value: number };
  readonly goal: Goal;
  readonly kind: FigureKind;
}

export type Verdict = 'PASS' | 'FAIL' | 'INFO';

/** A figure with its verdict (and, once run, the section that measured it). */
export interface Figure extends FigureSpec {
  readonly verdict: Verdict;
  readonly section?: string;
}

/** The one way a section makes a figure: its verdict follows from its goal. */
export function figure(spec: FigureSpec): Figure {
  const verdict: Verdict = spec.goal.informational
    ? 'INFO'
    : spec.goal.met(spec.value, spec.baseline.value)
      ? 'PASS'
      : 'FAIL';
  return { ...spec, verdict };
}

/** True when the figure's verdict fails the run (a ratio, count or ceiling goal missed). */
export function failsRun(f: Figure): boolean {
  return f.verdict === 'FAIL' && f.kind !== 'absolute';
}

/** One line: value, baseline, goal, verdict (an absolute miss says that it does not fail the run). */
export function formatFigure(f: Figure): string {
  const verdict =
    f.verdict === 'FAIL' && f.kind === 'absolute' ? 'FAIL (absolute: does not fail the run)' : f.verdict;
  return `  ${f.name.padEnd(46)} ${num(f.value).padStart(9)} ${f.unit.padEnd(12)} | ${f.baseline.name}: ${num(f.baseline.value)} | goal ${f.goal.text} (${f.kind}) | ${verdict}`;
}

/** The closing lines and the exit code: 1 when a ratio, count or ceiling goal was missed or a section failed. */
export function summarize(
  figures: readonly Figure[],
  failedSections: readonly string[] = [],
): { lines: string[]; exitCode: number } {
  const count = (v: Verdict): number => figures.filter((f) => f.verdict === v).length;
  const failing = figures.filter(failsRun);
  const lines = [
    `${figures.length} figures: ${count('PASS')} PASS, ${count('FAIL')} FAIL (${failing.length} failing the run), ${count('INFO')} INFO`,
    ...failing.map((f) => `FAIL ${f.name}: ${num(f.value)} ${f.unit}, goal ${f.goal.text}`),
    ...failedSections.map((s) => `FAIL section ${s} did not finish`),
  ];
  const exitCode = failing.length > 0 || failedSections.length > 0 ? 1 : 0;
  lines.push(exitCode === 0 ? 'bench: PASS' : 'bench: FAIL');
  return { lines, exitCode };
}

/**
 * `bench/results.json` (only `npm run bench -- --record` writes it): the rows of the sections that ran
 * replace theirs; the rows of the other sections are kept as they were recorded.
 */
export function writeResults(path: string, figures: readonly Figure[], sections: readonly string[]): void {
  let kept: { section?: string }[] = [];
  try {
    const old = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (Array.isArray(old))
      kept = (old as { section?: string }[]).filter(
        (r) => r.section !== undefined && !sections.includes(r.section),
      );
  } catch {
    // No results yet (or not ours): start afresh.
  }
  const rows = figures.map((f) => ({
    section: f.section,
    name: f.name,
    value: f.value,
    unit: f.unit,
    baseline: f.baseline.name,
    baselineValue: f.baseline.value,
    goal: f.goal.text,
    kind: f.kind,
    verdict: f.verdict,
  }));
  writeFileSync(path, JSON.stringify([...kept, ...rows], null, 2) + '\n');
}

/** Runs `task` for each of `count` items with at most `concurrency` in flight. */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** The p-th percentile (nearest rank), rounded to a tenth: the bench's latency figures. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10
  );
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
