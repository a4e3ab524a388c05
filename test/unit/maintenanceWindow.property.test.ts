import fc from 'fast-check';

import {
  localDate,
  parseMaintenanceConfiguration,
  parseMaintenanceWindow,
  scheduleToWire,
  withBlackoutDate,
} from '../../shared/domain/maintenanceConfiguration';
import {
  canStartStep,
  type Schedule,
  WEEK_DAYS,
  WEEK_INDEXES,
  windowAt,
  type WindowSchedule,
} from '../../shared/domain/maintenanceWindow';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2028, 11, 31);

const pad = (n: number): string => String(n).padStart(2, '0');
const dateText = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY;

function offsetText(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const weekDay = fc.constantFrom(...WEEK_DAYS);
const scheduleKind = fc.oneof(
  fc.record({ daily: fc.record({ intervalDays: fc.integer({ min: 1, max: 7 }) }) }),
  fc.record({ weekly: fc.record({ intervalWeeks: fc.integer({ min: 1, max: 4 }), dayOfWeek: weekDay }) }),
  fc.record({
    absoluteMonthly: fc.record({
      intervalMonths: fc.integer({ min: 1, max: 6 }),
      dayOfMonth: fc.integer({ min: 1, max: 31 }),
    }),
  }),
  fc.record({
    relativeMonthly: fc.record({
      intervalMonths: fc.integer({ min: 1, max: 6 }),
      weekIndex: fc.constantFrom(...WEEK_INDEXES),
      dayOfWeek: weekDay,
    }),
  }),
);
/** Quarter-hour offsets from -12:00 to +14:00, as real zones use. */
const offsetMinutes = fc.integer({ min: -48, max: 56 }).map((q) => q * 15);
const day = fc.integer({ min: FROM / DAY, max: TO / DAY });
const blackout = fc
  .record({ start: day, days: fc.integer({ min: 0, max: 20 }) })
  .map(({ start, days }) => ({ start: dateText(start), end: dateText(start + days) }));

/** A `maintenanceWindow` object as ARM returns it, for any kind, offset, start and blackouts. */
const windowWire = fc.record({
  schedule: scheduleKind,
  durationHours: fc.integer({ min: 4, max: 24 }),
  utcOffset: offsetMinutes.map(offsetText),
  startTime: fc
    .record({ h: fc.integer({ min: 0, max: 23 }), m: fc.integer({ min: 0, max: 59 }) })
    .map(({ h, m }) => `${pad(h)}:${pad(m)}`),
  startDate: fc.option(day.map(dateText), { nil: undefined }),
  notAllowedDates: fc.array(blackout, { maxLength: 3 }),
});
const instant = fc.integer({ min: FROM, max: TO }).map((ms) => new Date(ms));

const parse = (wire: unknown): WindowSchedule => parseMaintenanceWindow(wire);

function blackoutRanges(s: WindowSchedule): { start: number; end: number }[] {
  return s.notAllowedDates.map((r) => ({
    start: Date.parse(`${r.start}T00:00:00${s.utcOffset}`),
    end: Date.parse(`${r.end}T00:00:00${s.utcOffset}`) + DAY,
  }));
}

/** The calendar day, on the window's wall clock, an instant falls on. */
function localDay(s: WindowSchedule, ms: number): number {
  return Math.floor((ms + s.utcOffsetMinutes * MINUTE) / DAY);
}

describe('windowAt properties', () => {
  test('boundaries: an opening is open at its start, and closed at its end unless the next one starts right there', () => {
    fc.assert(
      fc.property(windowWire, instant, (wire, t) => {
        const s = parse(wire);
        const next = windowAt(s, t).nextOpen;
        if (!next) return;
        const atStart = windowAt(s, next.start);
        expect(atStart.open).toBe(true);
        expect(atStart.current).toEqual(next);
        expect(windowAt(s, new Date(next.end.getTime() - 1)).open).toBe(true);
        const atEnd = windowAt(s, next.end);
        if (atEnd.open) expect(atEnd.current?.start).toEqual(next.end);
        expect(windowAt(s, new Date(next.start.getTime() - 1)).current).not.toEqual(next);
      }),
    );
  });

  test('offsets: moving the utcOffset by d and the instant by -d gives the same answer, moved by -d', () => {
    fc.assert(
      fc.property(windowWire, offsetMinutes, instant, (wire, otherOffset, t) => {
        const a = parse(wire);
        const b = parse({ ...wire, utcOffset: offsetText(otherOffset) });
        const shift = (otherOffset - a.utcOffsetMinutes) * MINUTE;
        const moved = (d: Date | undefined) => (d ? new Date(d.getTime() - shift) : undefined);
        const stateA = windowAt(a, t);
        const stateB = windowAt(b, new Date(t.getTime() - shift));
        expect(stateB.open).toBe(stateA.open);
        expect(stateB.remainingMs).toBe(stateA.remainingMs);
        expect(stateB.closesAt).toEqual(moved(stateA.closesAt));
        expect(stateB.nextOpen?.start).toEqual(moved(stateA.nextOpen?.start));
        expect(stateB.nextOpen?.end).toEqual(moved(stateA.nextOpen?.end));
      }),
    );
  });

  test('blackouts: no instant inside a notAllowedDates range is open, and no opening touches one', () => {
    const withBlackout = windowWire.filter((w) => w.notAllowedDates.length > 0);
    fc.assert(
      fc.property(
        withBlackout,
        fc.nat(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (wire, pick, where) => {
          const s = parse(wire);
          const ranges = blackoutRanges(s);
          const range = ranges[pick % ranges.length]!;
          const t = new Date(range.start + Math.floor((range.end - range.start) * where));
          const state = windowAt(s, t);
          expect(state.open).toBe(false);
          const next = state.nextOpen;
          if (next) {
            for (const r of ranges) {
              const overlaps = next.start.getTime() < r.end && r.start < next.end.getTime();
              expect(overlaps).toBe(false);
            }
          }
        },
      ),
    );
  });

  test('nextOpen starts after the instant and is open at its start; time left never exceeds durationHours', () => {
    fc.assert(
      fc.property(windowWire, instant, (wire, t) => {
        const s = parse(wire);
        const state = windowAt(s, t);
        if (state.nextOpen) {
          expect(state.nextOpen.start.getTime()).toBeGreaterThan(t.getTime());
          expect(state.nextOpen.end.getTime() - state.nextOpen.start.getTime()).toBe(s.durationHours * HOUR);
          expect(windowAt(s, state.nextOpen.start).open).toBe(true);
        }
        if (state.open) {
          expect(state.remainingMs).toBeGreaterThan(0);
          expect(state.remainingMs).toBeLessThanOrEqual(s.durationHours * HOUR);
          expect(state.closesAt!.getTime() - t.getTime()).toBe(state.remainingMs);
          expect(state.current!.start.getTime()).toBeLessThanOrEqual(t.getTime());
        } else {
          expect(state.remainingMs).toBeUndefined();
        }
      }),
    );
  });

  test('startDate: nothing opens on a day before it', () => {
    const dated = windowWire.filter((w) => w.startDate !== undefined);
    fc.assert(
      fc.property(dated, instant, (wire, t) => {
        const s = parse(wire);
        const state = windowAt(s, t);
        const first = dayNumber(s.startDate!);
        for (const opening of [state.current, state.nextOpen]) {
          if (opening) expect(localDay(s, opening.start.getTime())).toBeGreaterThanOrEqual(first);
        }
      }),
    );
  });

  test('weekly with intervalWeeks=2 opens only on its weekday, in the even weeks counted from the week of startDate', () => {
    const fortnightly = windowWire.chain((w) =>
      fc.record({ dayOfWeek: weekDay, startDate: day.map(dateText) }).map(({ dayOfWeek, startDate }) => ({
        ...w,
        startDate,
        schedule: { weekly: { intervalWeeks: 2, dayOfWeek } },
      })),
    );
    fc.assert(
      fc.property(fortnightly, instant, (wire, t) => {
        const s = parse(wire);
        const start = dayNumber(s.startDate!);
        const firstSunday = start - ((start + 4) % 7);
        const state = windowAt(s, t);
        for (const opening of [state.current, state.nextOpen]) {
          if (!opening) continue;
          const d = localDay(s, opening.start.getTime());
          expect(WEEK_DAYS[(d + 4) % 7]).toBe(wire.schedule.weekly.dayOfWeek);
          expect(Math.floor((d - firstSunday) / 7) % 2).toBe(0);
        }
      }),
    );
  });

  test('canStartStep holds exactly when the window is open with at least the minimum left', () => {
    fc.assert(
      fc.property(windowWire, instant, fc.integer({ min: 0, max: 6 * HOUR }), (wire, t, min) => {
        const s: Schedule = parse(wire);
        const state = windowAt(s, t);
        expect(canStartStep(s, t, min)).toBe(state.open && state.remainingMs! >= min);
      }),
    );
  });

  test('legacy timeInWeek: open exactly in the listed UTC hours', () => {
    const slots = fc.uniqueArray(fc.integer({ min: 0, max: 167 }), { minLength: 1, maxLength: 167 });
    fc.assert(
      fc.property(slots, instant, (hours, t) => {
        const timeInWeek = WEEK_DAYS.map((d, i) => ({
          day: d,
          hourSlots: hours.filter((h) => Math.floor(h / 24) === i).map((h) => h % 24),
        })).filter((e) => e.hourSlots.length > 0);
        const s = parseMaintenanceConfiguration({ name: 'default', properties: { timeInWeek } });
        const hourOfWeek = t.getUTCDay() * 24 + t.getUTCHours();
        const state = windowAt(s, t);
        expect(state.open).toBe(hours.includes(hourOfWeek));
        if (state.nextOpen) {
          const n = state.nextOpen.start;
          expect(hours).toContain(n.getUTCDay() * 24 + n.getUTCHours());
          expect(hours).not.toContain((n.getUTCDay() * 24 + n.getUTCHours() + 167) % 168);
        }
      }),
    );
  });

  test('written back (scheduleToWire) a schedule parses to itself', () => {
    fc.assert(
      fc.property(windowWire, (wire) => {
        const s = parse(wire);
        expect(parseMaintenanceConfiguration({ name: 'x', properties: scheduleToWire(s) })).toEqual(s);
      }),
    );
  });

  test('Defer: after blacking out the day of an instant, no opening touches that day', () => {
    fc.assert(
      fc.property(windowWire, instant, (wire, t) => {
        const config = { name: 'aksManagedAutoUpgradeSchedule', properties: { maintenanceWindow: wire } };
        const before = parse(wire);
        const day = localDate(t, before.utcOffset);
        const after = parseMaintenanceConfiguration({
          name: 'aksManagedAutoUpgradeSchedule',
          properties: withBlackoutDate(config, day).properties,
        }) as WindowSchedule;
        const dayStart = Date.parse(`${day}T00:00:00${before.utcOffset}`);
        // walk every opening from the day before to the day after
        let state = windowAt(after, new Date(dayStart - DAY));
        let opening = state.current ?? state.nextOpen;
        while (opening && opening.start.getTime() < dayStart + 2 * DAY) {
          const touches = opening.start.getTime() < dayStart + DAY && dayStart < opening.end.getTime();
          expect(touches).toBe(false);
          state = windowAt(after, opening.start);
          opening = state.nextOpen;
        }
        expect(windowAt(after, t).open).toBe(false);
      }),
    );
  });
});
