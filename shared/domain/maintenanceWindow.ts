import { ValidationError } from '../errors';

/**
 * AKS planned-maintenance windows (DESIGN §4): the maintenance configurations ARM returns, parsed into
 * one normalised {@link Schedule}, and one pure function, {@link windowAt}, that says for a schedule and
 * an instant whether the window is open, when it closes and when it next opens.
 *
 * Facts this follows (aksdocs planned-maintenance.md, SDK 25.5.0 model descriptions, notes/azure-arm.md §c):
 * - configurations `aksManagedAutoUpgradeSchedule` (Kubernetes upgrades), `aksManagedNodeOSUpgradeSchedule`
 *   (node OS / node image) and `default` (AKS weekly releases; legacy `timeInWeek` form, auto-migrated);
 * - `maintenanceWindow{schedule, durationHours (4..24), utcOffset (default +00:00), startDate, startTime,
 *   notAllowedDates}`; `startTime`, `startDate` and `notAllowedDates` are wall-clock in `utcOffset`
 *   (a fixed offset: no daylight saving);
 * - `notAllowedDates` are whole days, both ends included: with `+02:00`, `2022-12-23`..`2023-01-03` blocks
 *   `2022-12-22 22:00Z` to `2023-01-03 22:00Z` (SDK `MaintenanceWindow.notAllowedDates`);
 * - before `startDate` the window is inactive;
 * - legacy `timeInWeek[{day, hourSlots}]`: one-hour UTC slots, `[0, 1]` = 00:00-02:00 UTC, the same day
 *   listed twice is the union; `notAllowedTime[{start, end}]` are instants.
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

/** The configuration names AKS knows. */
export const AUTO_UPGRADE_CONFIG = 'aksManagedAutoUpgradeSchedule';
export const NODE_OS_UPGRADE_CONFIG = 'aksManagedNodeOSUpgradeSchedule';
export const DEFAULT_CONFIG = 'default';

/** The default step budget: a step starts only with at least this much of the window left (policy may change it). */
export const DEFAULT_MIN_REMAINING_MS = HOUR;
/** AKS guidance: planned-maintenance windows of four hours or more. */
export const RECOMMENDED_MIN_WINDOW_HOURS = 4;

// ---------------------------------------------------------------------------------------------------------
// Wire shapes: what ARM returns (raw JSON, `properties.*`) and what the SDK returns (flattened, dates as Date).
// Every field may be missing or null (the CLI prints unused schedule kinds as null).

type WireDate = string | Date | null | undefined;

export interface DailyScheduleWire {
  readonly intervalDays?: number | null;
}
export interface WeeklyScheduleWire {
  readonly intervalWeeks?: number | null;
  readonly dayOfWeek?: string | null;
}
export interface AbsoluteMonthlyScheduleWire {
  readonly intervalMonths?: number | null;
  readonly dayOfMonth?: number | null;
}
export interface RelativeMonthlyScheduleWire {
  readonly intervalMonths?: number | null;
  readonly weekIndex?: string | null;
  readonly dayOfWeek?: string | null;
}
export interface ScheduleWire {
  readonly daily?: DailyScheduleWire | null;
  readonly weekly?: WeeklyScheduleWire | null;
  readonly absoluteMonthly?: AbsoluteMonthlyScheduleWire | null;
  readonly relativeMonthly?: RelativeMonthlyScheduleWire | null;
}
export interface DateSpanWire {
  readonly start?: WireDate;
  readonly end?: WireDate;
}
export interface MaintenanceWindowWire {
  readonly schedule?: ScheduleWire | null;
  readonly durationHours?: number | null;
  readonly utcOffset?: string | null;
  readonly startDate?: WireDate;
  readonly startTime?: string | null;
  readonly notAllowedDates?: readonly DateSpanWire[] | null;
}
export interface TimeInWeekWire {
  readonly day?: string | null;
  readonly hourSlots?: readonly number[] | null;
}
export interface MaintenanceConfigurationPropertiesWire {
  readonly maintenanceWindow?: MaintenanceWindowWire | null;
  readonly timeInWeek?: readonly TimeInWeekWire[] | null;
  readonly notAllowedTime?: readonly DateSpanWire[] | null;
}
/**
 * One maintenance configuration: the raw ARM resource (`{ name, properties: {...} }`), the SDK's flattened
 * model (`{ name, maintenanceWindow, timeInWeek, ... }`), or a `MaintenanceConfigurationSnapshot`.
 */
export interface MaintenanceConfigurationWire extends MaintenanceConfigurationPropertiesWire {
  readonly name?: string | null;
  readonly id?: string | null;
  /** Raw ARM JSON nests the fields here; the SDK flattens them onto the configuration. */
  readonly properties?: MaintenanceConfigurationPropertiesWire | null;
  readonly systemData?: { readonly createdAt?: WireDate } | null;
}

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
// Parsing.

function fail(field: string, problem: string, got: unknown): never {
  const shown = got instanceof Date ? got.toISOString() : JSON.stringify(got);
  const message = `${field} ${problem}, got ${shown ?? 'undefined'}`;
  throw new ValidationError(message, message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}`, value);
  }
  return value;
}

function weekDay(value: unknown, field: string): WeekDay {
  const found =
    typeof value === 'string'
      ? WEEK_DAYS.find((d) => d.toLowerCase() === value.trim().toLowerCase())
      : undefined;
  if (!found) fail(field, `must be one of ${WEEK_DAYS.join(', ')}`, value);
  return found;
}

function weekIndex(value: unknown, field: string): WeekIndex {
  const found =
    typeof value === 'string'
      ? WEEK_INDEXES.find((d) => d.toLowerCase() === value.trim().toLowerCase())
      : undefined;
  if (!found) fail(field, `must be one of ${WEEK_INDEXES.join(', ')}`, value);
  return found;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/;

/**
 * A calendar date from the wire. The SDK turns `"2023-01-01"` into `new Date("2023-01-01")`, i.e. UTC
 * midnight, so a `Date` gives back its UTC calendar date.
 */
function calendarDate(value: unknown, field: string): string {
  const text = value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : value;
  const m = typeof text === 'string' ? DATE.exec(text.trim()) : null;
  if (!m) fail(field, 'must be a date YYYY-MM-DD', value);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    fail(field, 'must be a real calendar date', value);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function instant(value: unknown, field: string): string {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) fail(field, 'must be an ISO 8601 date-time', value);
  return new Date(ms).toISOString();
}

const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** Parses `+05:30` / `-08:00` (also `+0530`); undefined/null is `+00:00`, the AKS default. */
export function parseUtcOffset(value: unknown, field = 'utcOffset'): { text: string; minutes: number } {
  if (!present(value)) return { text: '+00:00', minutes: 0 };
  const m = typeof value === 'string' ? OFFSET.exec(value.trim()) : null;
  if (!m) fail(field, 'must be an offset like +05:30 or -08:00', value);
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  if (hours > 14 || minutes > 59 || (hours === 14 && minutes > 0)) {
    fail(field, 'must be between -14:00 and +14:00', value);
  }
  const total = (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
  const sign = total < 0 ? '-' : '+';
  return { text: `${sign}${m[2]}:${m[3]}`, minutes: total === 0 ? 0 : total };
}

const TIME = /^(\d{2}):(\d{2})$/;

function startTime(value: unknown, field: string): string {
  const m = typeof value === 'string' ? TIME.exec(value.trim()) : null;
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59)
    fail(field, 'must be a time HH:mm from 00:00 to 23:59', value);
  return `${m[1]}:${m[2]}`;
}

function recurrence(value: unknown, field: string): Recurrence {
  if (!isObject(value))
    fail(field, 'must be an object with one of daily, weekly, absoluteMonthly, relativeMonthly', value);
  const kinds = (['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly'] as const).filter((k) =>
    present(value[k]),
  );
  if (kinds.length !== 1) {
    fail(field, 'must have exactly one of daily, weekly, absoluteMonthly, relativeMonthly', value);
  }
  const kind = kinds[0]!;
  const body = value[kind];
  const at = `${field}.${kind}`;
  if (!isObject(body)) fail(at, 'must be an object', body);
  switch (kind) {
    case 'daily':
      return { kind, intervalDays: integer(body.intervalDays, `${at}.intervalDays`, 1, 366) };
    case 'weekly':
      return {
        kind,
        intervalWeeks: integer(body.intervalWeeks, `${at}.intervalWeeks`, 1, 52),
        dayOfWeek: weekDay(body.dayOfWeek, `${at}.dayOfWeek`),
      };
    case 'absoluteMonthly':
      return {
        kind,
        intervalMonths: integer(body.intervalMonths, `${at}.intervalMonths`, 1, 12),
        dayOfMonth: integer(body.dayOfMonth, `${at}.dayOfMonth`, 1, 31),
      };
    case 'relativeMonthly':
      return {
        kind,
        intervalMonths: integer(body.intervalMonths, `${at}.intervalMonths`, 1, 12),
        weekIndex: weekIndex(body.weekIndex, `${at}.weekIndex`),
        dayOfWeek: weekDay(body.dayOfWeek, `${at}.dayOfWeek`),
      };
  }
}

function dateRanges(value: unknown, field: string): DateRange[] {
  if (!present(value)) return [];
  if (!Array.isArray(value)) fail(field, 'must be an array of {start, end}', value);
  return value.map((span: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(span)) fail(at, 'must be an object {start, end}', span);
    const start = calendarDate(span.start, `${at}.start`);
    const end = calendarDate(span.end, `${at}.end`);
    if (end < start) fail(`${at}.end`, `must not be before start ${start}`, span.end);
    return { start, end };
  });
}

/**
 * Validates a `maintenanceWindow` object. `fallbackStartDate` stands in for a missing `startDate` (AKS
 * defaults it to the creation date). Throws `ValidationError` naming the field.
 */
export function parseMaintenanceWindow(
  wire: unknown,
  field = 'maintenanceWindow',
  fallbackStartDate?: string,
): WindowSchedule {
  if (!isObject(wire)) fail(field, 'must be an object', wire);
  const offset = parseUtcOffset(wire.utcOffset, `${field}.utcOffset`);
  const startDate = present(wire.startDate)
    ? calendarDate(wire.startDate, `${field}.startDate`)
    : fallbackStartDate;
  return {
    form: 'window',
    recurrence: recurrence(wire.schedule, `${field}.schedule`),
    durationHours: integer(wire.durationHours, `${field}.durationHours`, 1, 24),
    utcOffset: offset.text,
    utcOffsetMinutes: offset.minutes,
    startTime: startTime(wire.startTime, `${field}.startTime`),
    ...(startDate === undefined ? {} : { startDate }),
    notAllowedDates: dateRanges(wire.notAllowedDates, `${field}.notAllowedDates`),
  };
}

function hourSlotSchedule(props: Record<string, unknown>, field: string): HourSlotSchedule {
  const list = props.timeInWeek;
  if (!Array.isArray(list) || list.length === 0)
    fail(`${field}.timeInWeek`, 'must be a non-empty array', list);
  const byDay = new Map<WeekDay, Set<number>>();
  list.forEach((entry: unknown, i) => {
    const at = `${field}.timeInWeek[${i}]`;
    if (!isObject(entry)) fail(at, 'must be an object {day, hourSlots}', entry);
    const day = weekDay(entry.day, `${at}.day`);
    const slots = entry.hourSlots;
    if (!Array.isArray(slots) || slots.length === 0)
      fail(`${at}.hourSlots`, 'must be a non-empty array', slots);
    const set = byDay.get(day) ?? new Set<number>();
    slots.forEach((h: unknown, j) => set.add(integer(h, `${at}.hourSlots[${j}]`, 0, 23)));
    byDay.set(day, set);
  });
  const notAllowed = props.notAllowedTime;
  if (present(notAllowed) && !Array.isArray(notAllowed)) {
    fail(`${field}.notAllowedTime`, 'must be an array of {start, end}', notAllowed);
  }
  const notAllowedTime = ((notAllowed ?? []) as unknown[]).map((span, i) => {
    const at = `${field}.notAllowedTime[${i}]`;
    if (!isObject(span)) fail(at, 'must be an object {start, end}', span);
    const start = instant(span.start, `${at}.start`);
    const end = instant(span.end, `${at}.end`);
    if (end < start) fail(`${at}.end`, `must not be before start ${start}`, span.end);
    return { start, end };
  });
  return {
    form: 'hourSlots',
    slots: WEEK_DAYS.filter((d) => byDay.has(d)).map((day) => ({
      day,
      hours: [...(byDay.get(day) ?? [])].sort((a, b) => a - b),
    })),
    notAllowedTime,
  };
}

/** The `properties` of a configuration in any of its wire shapes (raw ARM, SDK-flattened, snapshot). */
function propertiesOf(config: Record<string, unknown>): Record<string, unknown> {
  return isObject(config.properties) ? config.properties : config;
}

/** The configuration's name: `name`, else the last segment of `id`. */
export function configurationName(config: unknown): string | undefined {
  if (!isObject(config)) return undefined;
  if (typeof config.name === 'string' && config.name !== '') return config.name;
  if (typeof config.id === 'string') return config.id.split('/').filter(Boolean).pop();
  return undefined;
}

/**
 * Validates one maintenance configuration as ARM or the SDK returns it into a {@link Schedule}.
 * `maintenanceWindow` wins over the legacy `timeInWeek` when both are present. A missing `startDate` falls
 * back to `systemData.createdAt` (AKS defaults it to the creation date). Throws `ValidationError` naming
 * the configuration and the field.
 */
export function parseMaintenanceConfiguration(config: unknown): Schedule {
  const name = configurationName(config) ?? 'configuration';
  if (!isObject(config)) fail(name, 'must be an object', config);
  const props = propertiesOf(config);
  const systemData = isObject(config.systemData) ? config.systemData : undefined;
  if (present(props.maintenanceWindow)) {
    let created: string | undefined;
    try {
      created = present(systemData?.createdAt) ? calendarDate(systemData?.createdAt, 'createdAt') : undefined;
    } catch {
      created = undefined;
    }
    return parseMaintenanceWindow(props.maintenanceWindow, `${name}.maintenanceWindow`, created);
  }
  if (present(props.timeInWeek)) return hourSlotSchedule(props, name);
  return fail(name, 'has neither maintenanceWindow nor timeInWeek', props);
}

// ---------------------------------------------------------------------------------------------------------
// Which configuration applies, and the policy fallback.

/** `kubernetes` (or a plan kind `minor` / `patch`) or `node-image`. */
export type UpgradeKind = 'kubernetes' | 'minor' | 'patch' | 'node-image';

export interface SelectedSchedule {
  /** The configuration it came from. */
  readonly configName: string;
  readonly schedule: Schedule;
}

function findConfig(configs: readonly unknown[], name: string): unknown {
  return configs.find((c) => configurationName(c)?.toLowerCase() === name.toLowerCase());
}

/**
 * The AKS maintenance configuration that governs an upgrade of this kind: `aksManagedAutoUpgradeSchedule`
 * for Kubernetes upgrades, `aksManagedNodeOSUpgradeSchedule` for node images, else `default` (either form);
 * undefined when none applies, and the caller falls back to the policy's window for the ring
 * ({@link policySchedule}). An applicable configuration that does not parse throws `ValidationError`: the
 * runner must not guess a window.
 */
export function selectSchedule(configs: readonly unknown[], kind: UpgradeKind): SelectedSchedule | undefined {
  const preferred = kind === 'node-image' ? NODE_OS_UPGRADE_CONFIG : AUTO_UPGRADE_CONFIG;
  for (const name of [preferred, DEFAULT_CONFIG]) {
    const config = findConfig(configs, name);
    if (config !== undefined) return { configName: name, schedule: parseMaintenanceConfiguration(config) };
  }
  return undefined;
}

/**
 * The policy's window for a ring, used when the cluster has no applicable AKS configuration (the same
 * shape as `PolicyWindow` in shared/domain/policy.ts). `days` are weekdays in `utcOffset`; omitted or
 * empty means every day.
 */
export interface PolicyWindow {
  readonly days?: readonly string[];
  /** `HH:mm` in `utcOffset`. */
  readonly startTime: string;
  /** Hours, more than 0 and at most 24 (fractions allowed: the policy is Warden's own). */
  readonly durationHours: number;
  /** Default `+00:00`. */
  readonly utcOffset?: string;
  /** Inclusive calendar dates in `utcOffset`. */
  readonly notAllowedDates?: readonly DateRange[];
}

/** Turns a policy window into a {@link Schedule}; `field` names it in errors (e.g. `policy.windows.production`). */
export function policySchedule(window: PolicyWindow, field = 'policy window'): Schedule {
  const days = [...new Set((window.days ?? []).map((d, i) => weekDay(d, `${field}.days[${i}]`)))];
  const hours = window.durationHours;
  if (typeof hours !== 'number' || !(hours > 0 && hours <= 24)) {
    fail(`${field}.durationHours`, 'must be more than 0 and at most 24', hours);
  }
  const base = {
    // Validated above; the ARM parser wants whole hours, so give it one and put the real length back.
    durationHours: 24,
    utcOffset: window.utcOffset,
    startTime: window.startTime,
    notAllowedDates: window.notAllowedDates,
  };
  const part = (schedule: ScheduleWire): WindowSchedule => ({
    ...parseMaintenanceWindow({ ...base, schedule }, field),
    durationHours: hours,
  });
  if (days.length === 0 || days.length === 7) return part({ daily: { intervalDays: 1 } });
  const parts = WEEK_DAYS.filter((d) => days.includes(d)).map((dayOfWeek) =>
    part({ weekly: { intervalWeeks: 1, dayOfWeek } }),
  );
  return parts.length === 1 ? parts[0]! : { form: 'anyOf', parts };
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

// ---------------------------------------------------------------------------------------------------------
// Writing back: the Defer action adds a blackout day to a configuration.

/** The calendar date (`YYYY-MM-DD`) an instant falls on, on the wall clock of `utcOffset`. */
export function localDate(at: Date, utcOffset = '+00:00'): string {
  const { minutes } = parseUtcOffset(utcOffset);
  return new Date(at.getTime() + minutes * MINUTE).toISOString().slice(0, 10);
}

/** A parsed schedule back in ARM's JSON shape (`properties` of a maintenance configuration). */
export function scheduleToWire(schedule: WindowSchedule | HourSlotSchedule): Record<string, unknown> {
  if (schedule.form === 'hourSlots') {
    return {
      timeInWeek: schedule.slots.map((s) => ({ day: s.day, hourSlots: [...s.hours] })),
      notAllowedTime: schedule.notAllowedTime.map((t) => ({ start: t.start, end: t.end })),
    };
  }
  const { kind, ...fields } = schedule.recurrence;
  return {
    maintenanceWindow: {
      schedule: { [kind]: fields },
      durationHours: schedule.durationHours,
      utcOffset: schedule.utcOffset,
      ...(schedule.startDate === undefined ? {} : { startDate: schedule.startDate }),
      startTime: schedule.startTime,
      notAllowedDates: schedule.notAllowedDates.map((d) => ({ start: d.start, end: d.end })),
    },
  };
}

export interface BlackoutChange {
  readonly configName: string;
  /** The configuration's `properties` to PUT (ARM JSON; unchanged when `changed` is false). */
  readonly properties: Record<string, unknown>;
  /** False when the day was already blacked out: a second Defer click changes nothing. */
  readonly changed: boolean;
}

/**
 * Adds `date` (a whole day, `YYYY-MM-DD`, on the configuration's own clock: `utcOffset` for a
 * `maintenanceWindow`, UTC for the legacy form) to a configuration's blackouts: `notAllowedDates` or, in the
 * legacy form, `notAllowedTime`. Everything else is written back as read, `startDate` included: AKS has been
 * reported to refuse updates whose `startDate` lies in the past (hashicorp/terraform-provider-azurerm#22762,
 * MicrosoftDocs/azure-docs#114302), and dropping it would move an `intervalWeeks` cadence, so a 400 from
 * the PUT must be shown to the operator, not worked around. Throws `ValidationError` when the
 * configuration does not parse.
 */
export function withBlackoutDate(config: unknown, date: string): BlackoutChange {
  const day = calendarDate(date, 'date');
  const configName = configurationName(config) ?? DEFAULT_CONFIG;
  const schedule = parseMaintenanceConfiguration(config);
  if (schedule.form === 'anyOf')
    throw new ValidationError('a policy window has no AKS configuration to change');
  if (schedule.form === 'window') {
    const covered = schedule.notAllowedDates.some((r) => r.start <= day && day <= r.end);
    const next = covered
      ? schedule
      : { ...schedule, notAllowedDates: [...schedule.notAllowedDates, { start: day, end: day }] };
    return { configName, properties: scheduleToWire(next), changed: !covered };
  }
  const start = Date.parse(`${day}T00:00:00Z`);
  const end = start + DAY;
  const covered = schedule.notAllowedTime.some(
    (t) => Date.parse(t.start) <= start && end <= Date.parse(t.end),
  );
  const next = covered
    ? schedule
    : {
        ...schedule,
        notAllowedTime: [
          ...schedule.notAllowedTime,
          { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
        ],
      };
  return { configName, properties: scheduleToWire(next), changed: !covered };
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

export interface WindowFinding {
  readonly code:
    'maintenance-window-missing' | 'maintenance-window-short' | 'maintenance-configuration-invalid';
  readonly severity: 'info' | 'warning';
  /** The configuration concerned, when there is one. */
  readonly configName?: string;
  readonly message: string;
  readonly guidance: string;
}

const FOUR_HOURS_GUIDANCE =
  'AKS planned maintenance: when using auto-upgrade, use a maintenance window of four hours or more ' +
  '(learn.microsoft.com/azure/aks/planned-maintenance; AKS patch and upgrade guidance).';

/**
 * Compliance findings about a cluster's maintenance configurations: none at all (upgrades can start at
 * any time), a window shorter than four hours, or a configuration Warden cannot read.
 */
export function windowFindings(configs: readonly unknown[]): WindowFinding[] {
  const findings: WindowFinding[] = [];
  let readable = 0;
  for (const name of [AUTO_UPGRADE_CONFIG, NODE_OS_UPGRADE_CONFIG, DEFAULT_CONFIG]) {
    const config = findConfig(configs, name);
    if (config === undefined) continue;
    let schedule: Schedule;
    try {
      schedule = parseMaintenanceConfiguration(config);
    } catch (e) {
      findings.push({
        code: 'maintenance-configuration-invalid',
        severity: 'warning',
        configName: name,
        message: e instanceof Error ? e.message : String(e),
        guidance: 'Warden treats an unreadable window as closed and will not start upgrades in it.',
      });
      continue;
    }
    readable += 1;
    const hours = shortestOpeningHours(schedule);
    if (hours < RECOMMENDED_MIN_WINDOW_HOURS) {
      findings.push({
        code: 'maintenance-window-short',
        severity: 'warning',
        configName: name,
        message: `${name} opens for only ${hours} h (${describeSchedule(schedule)}); four hours or more are recommended`,
        guidance: FOUR_HOURS_GUIDANCE,
      });
    }
  }
  if (readable === 0 && !findings.some((f) => f.code === 'maintenance-configuration-invalid')) {
    findings.push({
      code: 'maintenance-window-missing',
      severity: 'warning',
      message: 'no planned-maintenance window: AKS may start upgrades and node image updates at any time',
      guidance: FOUR_HOURS_GUIDANCE,
    });
  }
  return findings;
}
