import { writeFileSync } from 'node:fs';

/** One performance figure (docs/design/performance.md), printed beside the baseline measured in the same run. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: string;
  readonly baselineValue: number;
  /** The goal, for the printed line only. */
  readonly goal?: string;
}

export function printFigure(f: Figure): void {
  const v = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(2);
  const b = Number.isInteger(f.baselineValue) ? String(f.baselineValue) : f.baselineValue.toFixed(2);
  console.log(
    `  ${f.name.padEnd(44)} ${v.padStart(10)} ${f.unit.padEnd(14)} | ${f.baseline}: ${b} ${f.goal !== undefined ? ` | goal ${f.goal}` : ''}`,
  );
}

export function writeResults(path: string, figures: readonly Figure[]): void {
  const rows = figures.map(({ name, value, unit, baseline, baselineValue }) => ({
    name,
    value,
    unit,
    baseline,
    baselineValue,
  }));
  writeFileSync(path, JSON.stringify(rows, null, 2) + '\n');
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

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
