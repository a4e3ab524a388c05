/**
 * AKS maintenance configurations on the wire: the shapes ARM and the SDK return, read and
 * validated into the normalised {@link Schedule} of ./maintenanceWindow.ts; which configuration governs an
 * upgrade ({@link selectSchedule}) and the policy fallback ({@link policySchedule}); writing a blackout day
 * back for the Defer action; and the compliance findings about a cluster's configurations. Separate from
 * evaluating a schedule in time because this is where ARM's shapes and quirks live: it imports the
 * schedule model, the model never imports it.
 *
 * Facts this follows (aksdocs planned-maintenance.md, SDK 25.5.0 model descriptions, docs/design/azure-arm.md §c):
 * - configurations `aksManagedAutoUpgradeSchedule` (Kubernetes upgrades), `aksManagedNodeOSUpgradeSchedule`
 *   (node OS / node image) and `default` (AKS weekly releases; legacy `timeInWeek` form, auto-migrated);
 * - `maintenanceWindow{schedule, durationHours (4..24), utcOffset (default +00:00), startDate, startTime,
 *   notAllowedDates}`; `startTime`, `startDate` and `notAllowedDates` are wall-clock in `utcOffset`
 *   (a fixed offset: no daylight saving);
 * - legacy `timeInWeek[{day, hourSlots}]`: one-hour UTC slots, the same day listed twice is the union;
 *   `notAllowedTime[{start, end}]` are instants.
 */
import { ValidationError } from '../errors';
import type {
  DateRange,
  HourSlotSchedule,
  Recurrence,
  Schedule,
  WeekDay,
  WeekIndex,
  WindowSchedule,
} from './maintenanceWindow';
import { describeSchedule, shortestOpeningHours, WEEK_DAYS, WEEK_INDEXES } from './maintenanceWindow';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The configuration names AKS knows. */
export const AUTO_UPGRADE_CONFIG = 'aksManagedAutoUpgradeSchedule';
export const NODE_OS_UPGRADE_CONFIG = 'aksManagedNodeOSUpgradeSchedule';
export const DEFAULT_CONFIG = 'default';

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
