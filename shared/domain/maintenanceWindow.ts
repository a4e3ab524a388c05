/**
 * AKS planned-maintenance windows in time: the normalised {@link Schedule} that every maintenance
 * configuration and policy window is read into, and one pure function, {@link windowAt}, that says for a
 * schedule and an instant whether the window is open, when it closes and when it next opens; with it the
 * step-start check, descriptions and the "same window" key. Reading ARM's wire shapes into a `Schedule`
 * (validation, which configuration applies, the policy fallback, writing a blackout back) is
 * ./maintenanceConfiguration.ts: this file knows no ARM JSON, so the calendar arithmetic stands on its own.
 *
 * Facts this follows (aksdocs planned-maintenance.md, SDK 25.5.0 model descriptions, docs/design/azure-arm.md §c):
 * - `startTime`, `startDate` and `notAllowedDates` are wall-clock in `utcOffset` (a fixed offset: no daylight
 *   saving);
 * - `notAllowedDates` are whole days, both ends included: with `+02:00`, `2022-12-23`..`2023-01-03` blocks
 *   `2022-12-22 22:00Z` to `2023-01-03 22:00Z` (SDK `MaintenanceWindow.notAllowedDates`);
 * - before `startDate` the window is inactive;
 * - legacy `timeInWeek[{day, hourSlots}]`: one-hour UTC slots, `[0, 1]` = 00:00-02:00 UTC;
 *   `notAllowedTime[{start, end}]` are instants.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How far ahead {@link windowAt} looks for the next opening (blackouts can hide many occurrences). */
const HORIZON_DAYS = 4 * 366;

export const WEEK_DAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;
export type WeekDay = (typeof WEEK_DAYS)[number];

export const WEEK_INDEXES = ['First', 'Second', 'Third', 'Fourth', 'Last'] as const;
export type WeekIndex = (typeof WEEK_INDEXES)[number];

/** The default step budget: a step starts only with at least this much of the window left (policy may change it). */
export const DEFAULT_MIN_REMAINING_MS = HOUR;

// ---------------------------------------------------------------------------------------------------------
// The normalised schedule.

export type Recurrence =
  | { readonly kind: 'daily'; readonly intervalDays: number }
  | { readonly kind: 'weekly'; readonly intervalWeeks: number; readonly dayOfWeek: WeekDay }
  | { readonly kind: 'absoluteMonthly'; readonly intervalMonths: number; readonly dayOfMonth: number }
  | {
      readonly kind: 'relativeMonthly';
      readonly intervalMonths: number;
      readonly weekIndex: WeekIndex;
      readonly dayOfWeek: WeekDay;
    };

/** An inclusive range of calendar dates (`YYYY-MM-DD`), wall-clock in the window's offset. */
export interface DateRange {
  readonly start: string;
  readonly end: string;
}

/** A `maintenanceWindow` (or a policy window): one recurrence, a start time and a duration. */
export interface WindowSchedule {
  readonly form: 'window';
  readonly recurrence: Recurrence;
  /**
   * Hours, 1..24 (AKS accepts whole hours 4..24 on write; shorter windows are read, and are a finding).
   * A policy window may use fractions.
   */
  readonly durationHours: number;
  /** `+05:30`, `-08:00`, `+00:00`. */
  readonly utcOffset: string;
  readonly utcOffsetMinutes: number;
  /** `HH:mm`, wall-clock in `utcOffset`. */
  readonly startTime: string;
  /**
   * `YYYY-MM-DD` in `utcOffset`: nothing opens before it, and the interval of weekly, daily and monthly
   * schedules is counted from it. Undefined when ARM sent none and the creation date is unknown.
   */
  readonly startDate?: string;
  readonly notAllowedDates: readonly DateRange[];
}

/** An inclusive-exclusive range of instants (ISO 8601). */
export interface InstantRange {
  readonly start: string;
  readonly end: string;
}

/** The legacy `default` form: one-hour UTC slots per weekday. */
export interface HourSlotSchedule {
  readonly form: 'hourSlots';
  readonly slots: readonly { readonly day: WeekDay; readonly hours: readonly number[] }[];
  readonly notAllowedTime: readonly InstantRange[];
}

/** Several windows at once (a policy window on more than one weekday): open when any part is. */
export interface AnyOfSchedule {
  readonly form: 'anyOf';
  readonly parts: readonly WindowSchedule[];
}

export type Schedule = WindowSchedule | HourSlotSchedule | AnyOfSchedule;

/** A window occurrence: open from `start` (included) to `end` (excluded). */
export interface Opening {
  readonly start: Date;
  readonly end: Date;
}

export interface WindowState {
  /** True when `start <= instant < end` for an occurrence that no blackout touches. */
  readonly open: boolean;
  /** The occurrence open now. */
  readonly current?: Opening;
  readonly closesAt?: Date;
  /** `closesAt - instant`. */
  readonly remainingMs?: number;
  /** The first occurrence that starts after the instant (within about four years); undefined if none. */
  readonly nextOpen?: Opening;
}

// ---------------------------------------------------------------------------------------------------------
// Occurrences. Internally instants are epoch milliseconds and calendar days are whole days since 1970-01-01
// on the window's wall clock.

interface Span {
  start: number;
  end: number;
}

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY;
}

/** 0 = Sunday (1970-01-01 was a Thursday). */
function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function monthIndexOf(day: number): number {
  const d = new Date(day * DAY);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

function dayOf(monthIndex: number, dayOfMonth: number): number {
  return Date.UTC(Math.floor(monthIndex / 12), monthIndex % 12, dayOfMonth) / DAY;
}

function daysInMonth(monthIndex: number): number {
  return dayOf(monthIndex + 1, 1) - dayOf(monthIndex, 1);
}

function modulo(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** The day a monthly recurrence falls on in that month; undefined when the month has no such day. */
function monthlyDay(r: Recurrence & { kind: 'absoluteMonthly' | 'relativeMonthly' }, month: number) {
  if (r.kind === 'absoluteMonthly') {
    // AKS documents no rule for a dayOfMonth the month lacks (31 in April); Warden skips that month rather
    // than move the window to a day nobody chose.
    return r.dayOfMonth <= daysInMonth(month) ? dayOf(month, r.dayOfMonth) : undefined;
  }
  const dow = WEEK_DAYS.indexOf(r.dayOfWeek);
  if (r.weekIndex === 'Last') {
    const last = dayOf(month, daysInMonth(month));
    return last - modulo(weekdayOf(last) - dow, 7);
  }
  const first = dayOf(month, 1);
  return first + modulo(dow - weekdayOf(first), 7) + 7 * WEEK_INDEXES.indexOf(r.weekIndex);
}

/**
 * The days a recurrence opens on, from `fromDay` to `lastDay`, in order. Intervals count from the start
 * date (`anchor`):
 * - daily: every `intervalDays` days from the start date;
 * - weekly: every `intervalWeeks` calendar weeks (Sunday to Saturday) from the week holding the start date,
 *   skipping a day before the start date. This is what AKS does (Azure/AKS#5720: every 2 weeks on Sunday from
 *   Tuesday 2026-04-14 first opens on 2026-04-26, not 2026-04-19);
 * - monthly: every `intervalMonths` calendar months from the start date's month, same skip.
 * Without a start date the cadence is counted from 1970-01-04 (a Sunday).
 */
function* recurrenceDays(r: Recurrence, anchor: number | undefined, fromDay: number, lastDay: number) {
  const first = Math.max(fromDay, anchor ?? fromDay);
  switch (r.kind) {
    case 'daily': {
      const a = anchor ?? 0;
      for (
        let d = a + Math.ceil((first - a) / r.intervalDays) * r.intervalDays;
        d <= lastDay;
        d += r.intervalDays
      ) {
        yield d;
      }
      return;
    }
    case 'weekly': {
      const a = anchor ?? 3;
      const weekStart = a - weekdayOf(a);
      const offset = WEEK_DAYS.indexOf(r.dayOfWeek);
      const step = 7 * r.intervalWeeks;
      const k = Math.max(0, Math.ceil((first - weekStart - offset) / step));
      for (let d = weekStart + offset + k * step; d <= lastDay; d += step) yield d;
      return;
    }
    case 'absoluteMonthly':
    case 'relativeMonthly': {
      const a = monthIndexOf(anchor ?? 0);
      let month = monthIndexOf(first);
      month += modulo(a - month, r.intervalMonths);
      for (; dayOf(month, 1) <= lastDay; month += r.intervalMonths) {
        const d = monthlyDay(r, month);
        if (d !== undefined && d >= first && d <= lastDay) yield d;
      }
      return;
    }
  }
}

function overlapsAny(span: Span, blackouts: readonly Span[]): boolean {
  return blackouts.some((b) => span.start < b.end && b.start < span.end);
}

function blackoutSpans(s: WindowSchedule): Span[] {
  const off = s.utcOffsetMinutes * MINUTE;
  return s.notAllowedDates.map((r) => ({
    start: dayNumber(r.start) * DAY - off,
    end: (dayNumber(r.end) + 1) * DAY - off,
  }));
}

function* windowSpans(s: WindowSchedule, fromMs: number): Generator<Span> {
  const off = s.utcOffsetMinutes * MINUTE;
  const [hh, mm] = s.startTime.split(':').map(Number);
  const startOfDay = ((hh ?? 0) * 60 + (mm ?? 0)) * MINUTE;
  const length = s.durationHours * HOUR;
  const anchor = s.startDate === undefined ? undefined : dayNumber(s.startDate);
  // An occurrence lasts at most 24 h, so one that began the day before may still be open.
  const fromDay = Math.floor((fromMs + off) / DAY) - 1;
  const lastDay = Math.max(fromDay, anchor ?? fromDay) + HORIZON_DAYS;
  const blackouts = blackoutSpans(s);
  for (const day of recurrenceDays(s.recurrence, anchor, fromDay, lastDay)) {
    const start = day * DAY + startOfDay - off;
    const span = { start, end: start + length };
    if (!overlapsAny(span, blackouts)) yield span;
  }
}

/** Consecutive UTC hours of the week (0 = Sunday 00:00) merged into runs, wrapping Saturday into Sunday. */
function hourRuns(s: HourSlotSchedule): { start: number; hours: number }[] {
  const week = new Array<boolean>(168).fill(false);
  for (const slot of s.slots) {
    for (const h of slot.hours) week[WEEK_DAYS.indexOf(slot.day) * 24 + h] = true;
  }
  if (week.every(Boolean)) return [{ start: 0, hours: 168 }];
  const gap = week.indexOf(false);
  const runs: { start: number; hours: number }[] = [];
  for (let i = 1; i <= 168; i++) {
    const h = (gap + i) % 168;
    if (!week[h]) continue;
    const last = runs[runs.length - 1];
    if (last && (last.start + last.hours) % 168 === h) last.hours += 1;
    else runs.push({ start: h, hours: 1 });
  }
  return runs.sort((a, b) => a.start - b.start);
}

function* hourSlotSpans(s: HourSlotSchedule, fromMs: number): Generator<Span> {
  const runs = hourRuns(s);
  const blackouts = s.notAllowedTime.map((r) => ({ start: Date.parse(r.start), end: Date.parse(r.end) }));
  const today = Math.floor(fromMs / DAY);
  // A run lasts at most a week, so one that began the week before may still be open.
  const firstWeek = today - weekdayOf(today) - 7;
  for (let week = firstWeek; week <= today + HORIZON_DAYS; week += 7) {
    for (const run of runs) {
      const start = week * DAY + run.start * HOUR;
      const span = { start, end: start + run.hours * HOUR };
      if (!overlapsAny(span, blackouts)) yield span;
    }
  }
}

/** The occurrences of a schedule in order of start, beginning early enough to include one open at `fromMs`. */
function spans(s: Schedule, fromMs: number): Generator<Span> {
  switch (s.form) {
    case 'window':
      return windowSpans(s, fromMs);
    case 'hourSlots':
      return hourSlotSpans(s, fromMs);
    case 'anyOf':
      return mergeByStart(s.parts.map((p) => windowSpans(p, fromMs)));
  }
}

function* mergeByStart(sources: Generator<Span>[]): Generator<Span> {
  const heads = sources.map((g) => g.next());
  for (;;) {
    let best = -1;
    heads.forEach((h, i) => {
      const current = heads[best];
      if (!h.done && (best < 0 || (current && !current.done && h.value.start < current.value.start)))
        best = i;
    });
    const head = heads[best];
    if (best < 0 || !head || head.done) return;
    yield head.value;
    heads[best] = sources[best]!.next();
  }
}

function opening(span: Span): Opening {
  return { start: new Date(span.start), end: new Date(span.end) };
}

/**
 * The one question the runner asks: at `at`, is the schedule's window open, when does it close, and when
 * does it next open. An occurrence that overlaps a blackout (`notAllowedDates` / `notAllowedTime`) does not
 * open at all. The start instant is inside a window, the end instant is not.
 */
export function windowAt(schedule: Schedule, at: Date): WindowState {
  const t = at.getTime();
  let current: Span | undefined;
  for (const span of spans(schedule, t)) {
    if (span.end <= t) continue;
    if (span.start <= t) {
      if (!current || span.end > current.end) current = span;
      continue;
    }
    const nextOpen = opening(span);
    return current
      ? {
          open: true,
          current: opening(current),
          closesAt: new Date(current.end),
          remainingMs: current.end - t,
          nextOpen,
        }
      : { open: false, nextOpen };
  }
  return current
    ? { open: true, current: opening(current), closesAt: new Date(current.end), remainingMs: current.end - t }
    : { open: false };
}

/**
 * The earliest time from `at` on when a step may start: inside an open occurrence with at least
 * `minRemainingMs` of it left. `start` is `at` itself when that is now, otherwise the occurrence's start;
 * `end` is when that occurrence closes. Occurrences shorter than `minRemainingMs` are skipped.
 */
export function nextStartableWindow(
  schedule: Schedule,
  at: Date,
  minRemainingMs: number = DEFAULT_MIN_REMAINING_MS,
): Opening | undefined {
  const t = at.getTime();
  for (const span of spans(schedule, t)) {
    const start = Math.max(span.start, t);
    if (span.end - start >= minRemainingMs && span.end > t) return opening({ start, end: span.end });
  }
  return undefined;
}

/** A step starts only inside an open window with at least `minRemainingMs` left (policy; default 1 h). */
export function canStartStep(
  schedule: Schedule,
  at: Date,
  minRemainingMs: number = DEFAULT_MIN_REMAINING_MS,
): boolean {
  return nextStartableWindow(schedule, at, minRemainingMs)?.start.getTime() === at.getTime();
}

// ---------------------------------------------------------------------------------------------------------
// Describing and judging schedules.

/** The shortest opening the schedule can have, in hours (legacy slots merge into runs). */
export function shortestOpeningHours(schedule: Schedule): number {
  switch (schedule.form) {
    case 'window':
      return schedule.durationHours;
    case 'hourSlots':
      return Math.min(...hourRuns(schedule).map((r) => r.hours));
    case 'anyOf':
      return Math.min(...schedule.parts.map((p) => p.durationHours));
  }
}

function ordinal(n: number): string {
  const suffix =
    n % 10 === 1 && n !== 11
      ? 'st'
      : n % 10 === 2 && n !== 12
        ? 'nd'
        : n % 10 === 3 && n !== 13
          ? 'rd'
          : 'th';
  return `${n}${suffix}`;
}

function every(n: number, unit: string): string {
  return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
}

function describeWindow(s: WindowSchedule): string {
  const r = s.recurrence;
  const when =
    r.kind === 'daily'
      ? every(r.intervalDays, 'day')
      : r.kind === 'weekly'
        ? `${every(r.intervalWeeks, 'week')} on ${r.dayOfWeek}`
        : r.kind === 'absoluteMonthly'
          ? `${every(r.intervalMonths, 'month')} on the ${ordinal(r.dayOfMonth)}`
          : `${every(r.intervalMonths, 'month')} on the ${r.weekIndex.toLowerCase()} ${r.dayOfWeek}`;
  const from = s.startDate === undefined ? '' : `, from ${s.startDate}`;
  const blackouts =
    s.notAllowedDates.length === 0
      ? ''
      : `, except ${s.notAllowedDates.map((d) => `${d.start}..${d.end}`).join(', ')}`;
  return `${when} at ${s.startTime} UTC${s.utcOffset} for ${s.durationHours} h${from}${blackouts}`;
}

/** One line for notices and the dashboard, e.g. "every 2 weeks on Friday at 00:00 UTC+05:30 for 8 h". */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.form) {
    case 'window':
      return describeWindow(schedule);
    case 'anyOf': {
      // A policy window on several weekdays: "every week on Tuesday, Thursday at 23:00 ...".
      const weekly = schedule.parts.map((p) => p.recurrence).filter((r) => r.kind === 'weekly');
      const [first] = schedule.parts;
      const sameButDay =
        first !== undefined &&
        weekly.length === schedule.parts.length &&
        weekly.every((r) => r.intervalWeeks === 1) &&
        schedule.parts.every(
          (p) => describeWindow({ ...p, recurrence: first.recurrence }) === describeWindow(first),
        );
      if (!sameButDay) return schedule.parts.map(describeWindow).join('; ');
      const days = weekly.map((r) => r.dayOfWeek).join(', ');
      return describeWindow(first).replace(/^every week on \w+/, `every week on ${days}`);
    }
    case 'hourSlots': {
      const runs = hourRuns(schedule).map((r) => {
        const day = WEEK_DAYS[Math.floor(r.start / 24)] ?? 'Sunday';
        return `${day} ${String(r.start % 24).padStart(2, '0')}:00 UTC for ${r.hours} h`;
      });
      return `weekly: ${runs.join(', ')}`;
    }
  }
}

/**
 * A stable key for "the same window": equal for schedules that open at the same instants. The compliance
 * check "same window on every cluster in a subscription" (ARM throttling; planned-maintenance.md FAQ)
 * groups clusters by it.
 */
export function scheduleKey(schedule: Schedule): string {
  switch (schedule.form) {
    case 'window':
    case 'hourSlots':
      return JSON.stringify(schedule);
    case 'anyOf':
      return JSON.stringify(schedule.parts.map((p) => JSON.stringify(p)).sort());
  }
}
