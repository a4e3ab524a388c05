import {
  localDate,
  parseMaintenanceConfiguration,
  parseMaintenanceWindow,
  policySchedule,
  selectSchedule,
  windowFindings,
  withBlackoutDate,
} from '../../shared/domain/maintenanceConfiguration';
import {
  canStartStep,
  describeSchedule,
  nextStartableWindow,
  type Schedule,
  scheduleKey,
  windowAt,
} from '../../shared/domain/maintenanceWindow';
import { ValidationError } from '../../shared/errors';
import { fixture } from '../helpers/fixtures';

const at = (iso: string): Date => new Date(iso);
const iso = (d: Date | undefined): string | undefined => d?.toISOString();

/** A `maintenanceWindow` as ARM returns it, with the fields a test does not care about filled in. */
function window(fields: Record<string, unknown>): Schedule {
  return parseMaintenanceWindow({ durationHours: 4, startTime: '00:00', utcOffset: '+00:00', ...fields });
}

function opensAt(schedule: Schedule, instant: string): string | undefined {
  return iso(windowAt(schedule, at(instant)).nextOpen?.start);
}

interface Example {
  parameters: { configName?: string; parameters: unknown };
  responses: Record<string, { body: unknown }>;
}
interface ListExample {
  responses: { '200': { body: { value: unknown[] } } };
}

describe('the ARM fixtures parse', () => {
  test('legacy default (timeInWeek Monday [1, 2] + notAllowedTime): Monday 01:00-03:00 UTC, blacked out 26-30 Nov 2020', () => {
    // given the 2025-08-01 example, request and both responses
    const example = fixture<Example>('arm/MaintenanceConfigurationsCreate_Update.json');
    const bodies = [
      example.parameters.parameters,
      example.responses['200']!.body,
      example.responses['201']!.body,
    ];
    for (const body of bodies) {
      // when parsed
      const schedule = parseMaintenanceConfiguration(body);
      // then it is the legacy form, and Monday 23 Nov 2020 01:30 UTC is inside the window
      expect(schedule.form).toBe('hourSlots');
      const state = windowAt(schedule, at('2020-11-23T01:30:00Z'));
      expect(state.open).toBe(true);
      expect(iso(state.closesAt)).toBe('2020-11-23T03:00:00.000Z');
      expect(state.remainingMs).toBe(90 * 60_000);
      // and Monday 30 Nov (inside notAllowedTime, which ends at 12:00) does not open: next is 7 Dec
      expect(opensAt(schedule, '2020-11-29T00:00:00Z')).toBe('2020-12-07T01:00:00.000Z');
    }
  });

  test.each(['arm/MaintenanceConfigurationsGet.json', 'arm/MaintenanceConfigurationsList.json'])(
    'legacy %s parses to the same Monday slots',
    (file) => {
      const body = file.endsWith('List.json')
        ? fixture<ListExample>(file).responses['200'].body.value[0]
        : fixture<Example>(file).responses['200']!.body;
      const schedule = parseMaintenanceConfiguration(body);
      expect(describeSchedule(schedule)).toBe('weekly: Monday 01:00 UTC for 2 h');
    },
  );

  test('Create_Update_MaintenanceWindow: the request says relativeMonthly, the response says weekly (a known inconsistency of the example); both parse', () => {
    const example = fixture<Example>('arm/MaintenanceConfigurationsCreate_Update_MaintenanceWindow.json');
    const request = parseMaintenanceConfiguration(example.parameters.parameters);
    const response = parseMaintenanceConfiguration(example.responses['200']!.body);
    expect(request).toMatchObject({
      form: 'window',
      recurrence: { kind: 'relativeMonthly', intervalMonths: 3, weekIndex: 'First', dayOfWeek: 'Monday' },
      durationHours: 10,
      utcOffset: '+05:30',
      startDate: '2023-01-01',
      startTime: '08:30',
    });
    expect(response).toMatchObject({
      form: 'window',
      recurrence: { kind: 'weekly', intervalWeeks: 3, dayOfWeek: 'Monday' },
    });
    // relativeMonthly: the first Monday of Jan 2023 (the 2nd), 08:30 +05:30 = 03:00 UTC, then April
    expect(opensAt(request, '2023-01-01T00:00:00Z')).toBe('2023-01-02T03:00:00.000Z');
    expect(opensAt(request, '2023-01-03T00:00:00Z')).toBe('2023-04-03T03:00:00.000Z');
    // weekly every 3 weeks: Mondays 2 Jan + 21 k; 25 Dec 2023 falls in the 23 Dec - 5 Jan blackout
    expect(opensAt(response, '2023-01-03T00:00:00Z')).toBe('2023-01-23T03:00:00.000Z');
    expect(windowAt(response, at('2023-12-25T05:00:00Z')).open).toBe(false);
    expect(opensAt(response, '2023-12-20T00:00:00Z')).toBe('2024-01-15T03:00:00.000Z');
  });

  test('Get_MaintenanceWindow (node OS, daily every 3 days, 09:30 -07:00, 4 h): the occurrences inside 18-25 Feb 2023 do not open', () => {
    const example = fixture<Example>('arm/MaintenanceConfigurationsGet_MaintenanceWindow.json');
    const schedule = parseMaintenanceConfiguration(example.responses['200']!.body);
    // 1 Jan 09:30 -07:00 = 16:30 UTC
    const first = windowAt(schedule, at('2023-01-01T16:30:00Z'));
    expect(first.open).toBe(true);
    expect(iso(first.closesAt)).toBe('2023-01-01T20:30:00.000Z');
    expect(iso(first.nextOpen?.start)).toBe('2023-01-04T16:30:00.000Z');
    // 18, 21, 24 Feb are occurrences (1 Jan + 3k) inside the blackout; 27 Feb opens
    expect(windowAt(schedule, at('2023-02-18T17:00:00Z')).open).toBe(false);
    expect(opensAt(schedule, '2023-02-18T17:00:00Z')).toBe('2023-02-27T16:30:00.000Z');
  });

  test('List_MaintenanceWindow: the node OS and auto-upgrade configurations each govern their kind of plan', () => {
    const configs = fixture<ListExample>('arm/MaintenanceConfigurationsList_MaintenanceWindow.json')
      .responses['200'].body.value;
    const k8s = selectSchedule(configs, 'kubernetes');
    const nodeImage = selectSchedule(configs, 'node-image');
    expect(k8s?.configName).toBe('aksManagedAutoUpgradeSchedule');
    expect(nodeImage?.configName).toBe('aksManagedNodeOSUpgradeSchedule');
    // absoluteMonthly 15th every 3 months from Jan 2023, 08:30 UTC for 5 h
    expect(opensAt(k8s!.schedule, '2023-01-16T00:00:00Z')).toBe('2023-04-15T08:30:00.000Z');
    // daily every 5 days, 13:30 -07:00 for 10 h: 20:30 UTC to 06:30 UTC the next day
    const night = windowAt(nodeImage!.schedule, at('2023-01-02T03:00:00Z'));
    expect(night.open).toBe(true);
    expect(iso(night.closesAt)).toBe('2023-01-02T06:30:00.000Z');
  });
});

describe('windowAt over every schedule kind', () => {
  test('daily: intervalDays counts from startDate', () => {
    const s = window({
      schedule: { daily: { intervalDays: 2 } },
      startDate: '2026-03-01',
      startTime: '22:00',
    });
    expect(opensAt(s, '2026-03-01T00:00:00Z')).toBe('2026-03-01T22:00:00.000Z');
    expect(opensAt(s, '2026-03-01T23:00:00Z')).toBe('2026-03-03T22:00:00.000Z');
  });

  test('weekly: intervalWeeks counts calendar weeks from the week of startDate (Azure/AKS#5720)', () => {
    // given every 2 weeks on Sunday, starting Tuesday 14 April 2026
    const s = window({
      schedule: { weekly: { intervalWeeks: 2, dayOfWeek: 'Sunday' } },
      startDate: '2026-04-14',
    });
    // then the first window is Sunday 26 April, not 19 April, and then every other Sunday
    expect(opensAt(s, '2026-04-14T00:00:00Z')).toBe('2026-04-26T00:00:00.000Z');
    expect(opensAt(s, '2026-04-27T00:00:00Z')).toBe('2026-05-10T00:00:00.000Z');
  });

  test('weekly: a start date on the chosen weekday opens that same day', () => {
    const s = window({
      schedule: { weekly: { intervalWeeks: 3, dayOfWeek: 'Friday' } },
      startDate: '2026-05-01',
    });
    expect(opensAt(s, '2026-04-01T00:00:00Z')).toBe('2026-05-01T00:00:00.000Z');
    expect(opensAt(s, '2026-05-02T00:00:00Z')).toBe('2026-05-22T00:00:00.000Z');
  });

  test('absoluteMonthly: the 31st skips months without one', () => {
    const s = window({
      schedule: { absoluteMonthly: { intervalMonths: 1, dayOfMonth: 31 } },
      startDate: '2026-01-01',
    });
    expect(opensAt(s, '2026-02-01T00:00:00Z')).toBe('2026-03-31T00:00:00.000Z');
    expect(opensAt(s, '2026-04-01T00:00:00Z')).toBe('2026-05-31T00:00:00.000Z');
  });

  test('absoluteMonthly: intervalMonths counts from the start month', () => {
    const s = window({
      schedule: { absoluteMonthly: { intervalMonths: 2, dayOfMonth: 1 } },
      startDate: '2026-02-10',
    });
    // February's 1st is before the start date, so the first window is 1 April
    expect(opensAt(s, '2026-01-01T00:00:00Z')).toBe('2026-04-01T00:00:00.000Z');
  });

  test.each([
    ['First', '2026-06-01T00:00:00.000Z'],
    ['Second', '2026-06-08T00:00:00.000Z'],
    ['Third', '2026-06-15T00:00:00.000Z'],
    ['Fourth', '2026-06-22T00:00:00.000Z'],
    ['Last', '2026-06-29T00:00:00.000Z'],
  ])('relativeMonthly: the %s Monday of June 2026', (weekIndex, expected) => {
    const s = window({
      schedule: { relativeMonthly: { intervalMonths: 1, weekIndex, dayOfWeek: 'Monday' } },
      startDate: '2026-06-01',
    });
    expect(opensAt(s, '2026-05-31T00:00:00Z')).toBe(expected);
  });

  test('relativeMonthly Last in a month with four of that weekday is the fourth', () => {
    // February 2026 has Mondays 2, 9, 16, 23
    const s = window({
      schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Last', dayOfWeek: 'Monday' } },
      startDate: '2026-01-01',
    });
    expect(opensAt(s, '2026-02-01T00:00:00Z')).toBe('2026-02-23T00:00:00.000Z');
  });

  test('nothing opens before startDate', () => {
    const s = window({
      schedule: { daily: { intervalDays: 1 } },
      startDate: '2027-01-10',
      startTime: '03:00',
    });
    expect(windowAt(s, at('2027-01-09T03:30:00Z')).open).toBe(false);
    expect(opensAt(s, '2026-11-25T00:00:00Z')).toBe('2027-01-10T03:00:00.000Z');
  });

  test('a window that starts late in the evening stays open past midnight', () => {
    const s = window({
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
      startTime: '22:00',
      durationHours: 6,
    });
    const state = windowAt(s, at('2026-11-29T01:00:00Z')); // Sunday 01:00
    expect(state.open).toBe(true);
    expect(iso(state.current?.start)).toBe('2026-11-28T22:00:00.000Z');
    expect(iso(state.closesAt)).toBe('2026-11-29T04:00:00.000Z');
  });

  test('utcOffset +05:30 and -08:00 move the window by the offset', () => {
    const india = window({
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Friday' } },
      utcOffset: '+05:30',
      startTime: '00:00',
    });
    const pacific = window({
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Friday' } },
      utcOffset: '-08:00',
      startTime: '20:00',
    });
    // Friday 27 Nov 2026 00:00 +05:30 = Thursday 26 Nov 18:30 UTC
    expect(opensAt(india, '2026-11-25T00:00:00Z')).toBe('2026-11-26T18:30:00.000Z');
    // Friday 27 Nov 20:00 -08:00 = Saturday 28 Nov 04:00 UTC
    expect(opensAt(pacific, '2026-11-25T00:00:00Z')).toBe('2026-11-28T04:00:00.000Z');
  });

  test('notAllowedDates are whole days in the offset, both ends included', () => {
    const s = window({
      schedule: { daily: { intervalDays: 1 } },
      utcOffset: '+02:00',
      startTime: '12:00',
      notAllowedDates: [{ start: '2026-12-23', end: '2026-12-24' }],
    });
    expect(opensAt(s, '2026-12-22T12:00:00Z')).toBe('2026-12-25T10:00:00.000Z');
  });

  test('a window that only overlaps a blackout (starts the evening before) does not open either', () => {
    const s = window({
      schedule: { daily: { intervalDays: 1 } },
      startTime: '22:00',
      durationHours: 4,
      notAllowedDates: [{ start: '2026-12-24', end: '2026-12-24' }],
    });
    expect(windowAt(s, at('2026-12-23T23:00:00Z')).open).toBe(false);
    // 23 Dec 22:00 - 24 Dec 02:00 and 24 Dec 22:00 - 25 Dec 02:00 both touch 24 Dec
    expect(opensAt(s, '2026-12-23T21:00:00Z')).toBe('2026-12-25T22:00:00.000Z');
  });

  test('the start instant is open, the end instant is closed', () => {
    const s = window({
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } },
      startTime: '10:00',
      durationHours: 4,
    });
    expect(windowAt(s, at('2026-11-25T10:00:00Z'))).toMatchObject({ open: true, remainingMs: 4 * 3_600_000 });
    expect(windowAt(s, at('2026-11-25T14:00:00Z')).open).toBe(false);
    expect(windowAt(s, at('2026-11-25T13:59:59.999Z')).remainingMs).toBe(1);
  });

  test('legacy slots that run from Saturday night into Sunday are one window', () => {
    const s = parseMaintenanceConfiguration({
      name: 'default',
      properties: {
        timeInWeek: [
          { day: 'Sunday', hourSlots: [0, 1] },
          { day: 'Saturday', hourSlots: [22, 23] },
        ],
      },
    });
    const state = windowAt(s, at('2026-11-28T22:30:00Z')); // Saturday
    expect(iso(state.closesAt)).toBe('2026-11-29T02:00:00.000Z');
    expect(describeSchedule(s)).toBe('weekly: Saturday 22:00 UTC for 4 h');
  });
});

describe('canStartStep and nextStartableWindow', () => {
  const s = window({
    schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Wednesday' } },
    startTime: '10:00',
    durationHours: 4,
  });

  test('inside the window with more than the minimum left: the step may start now', () => {
    expect(canStartStep(s, at('2026-11-25T12:00:00Z'))).toBe(true);
    expect(iso(nextStartableWindow(s, at('2026-11-25T12:00:00Z'))?.start)).toBe('2026-11-25T12:00:00.000Z');
  });

  test('inside the window with less than an hour left: wait for the next window', () => {
    expect(canStartStep(s, at('2026-11-25T13:30:00Z'))).toBe(false);
    expect(nextStartableWindow(s, at('2026-11-25T13:30:00Z'))).toEqual({
      start: at('2026-12-02T10:00:00Z'),
      end: at('2026-12-02T14:00:00Z'),
    });
  });

  test('the minimum is the policy’s: with 30 minutes, 13:30 still qualifies', () => {
    expect(canStartStep(s, at('2026-11-25T13:30:00Z'), 30 * 60_000)).toBe(true);
  });

  test('a window shorter than the minimum is never startable', () => {
    const short = window({ schedule: { daily: { intervalDays: 1 } }, durationHours: 1 });
    expect(nextStartableWindow(short, at('2026-11-25T00:00:00Z'), 2 * 3_600_000)).toBeUndefined();
  });
});

describe('which configuration applies', () => {
  const auto = {
    name: 'aksManagedAutoUpgradeSchedule',
    properties: {
      maintenanceWindow: {
        schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } },
        durationHours: 8,
        startTime: '01:00',
      },
    },
  };
  const nodeOs = {
    name: 'aksManagedNodeOSUpgradeSchedule',
    properties: {
      maintenanceWindow: { schedule: { daily: { intervalDays: 1 } }, durationHours: 4, startTime: '02:00' },
    },
  };
  const legacy = {
    name: 'default',
    properties: { timeInWeek: [{ day: 'Tuesday', hourSlots: [1, 2, 3, 4] }] },
  };

  test('Kubernetes plans use aksManagedAutoUpgradeSchedule, node-image plans aksManagedNodeOSUpgradeSchedule', () => {
    expect(selectSchedule([legacy, nodeOs, auto], 'minor')?.configName).toBe('aksManagedAutoUpgradeSchedule');
    expect(selectSchedule([legacy, nodeOs, auto], 'patch')?.configName).toBe('aksManagedAutoUpgradeSchedule');
    expect(selectSchedule([legacy, auto, nodeOs], 'node-image')?.configName).toBe(
      'aksManagedNodeOSUpgradeSchedule',
    );
  });

  test('without its own configuration a plan falls back to default, then to nothing (the policy window)', () => {
    expect(selectSchedule([legacy, nodeOs], 'kubernetes')).toMatchObject({
      configName: 'default',
      schedule: { form: 'hourSlots' },
    });
    expect(selectSchedule([nodeOs], 'kubernetes')).toBeUndefined();
    expect(selectSchedule([], 'node-image')).toBeUndefined();
  });

  test('the SDK’s flattened model (dates as Date, no properties) reads the same as raw JSON', () => {
    const sdk = {
      name: 'aksManagedAutoUpgradeSchedule',
      maintenanceWindow: {
        schedule: {
          daily: null,
          weekly: { intervalWeeks: 2, dayOfWeek: 'Sunday' },
          absoluteMonthly: null,
          relativeMonthly: null,
        },
        durationHours: 4,
        startTime: '00:00',
        startDate: new Date('2026-04-14'),
        notAllowedDates: [{ start: new Date('2026-05-10'), end: new Date('2026-05-10') }],
      },
      timeInWeek: null,
    };
    const schedule = selectSchedule([sdk], 'kubernetes')!.schedule;
    expect(schedule).toMatchObject({
      startDate: '2026-04-14',
      notAllowedDates: [{ start: '2026-05-10', end: '2026-05-10' }],
    });
    expect(opensAt(schedule, '2026-04-27T00:00:00Z')).toBe('2026-05-24T00:00:00.000Z');
  });

  test('a snapshot ({ name, properties }) with no startDate takes the creation date, as AKS defaults it', () => {
    const s = parseMaintenanceConfiguration({
      name: 'aksManagedAutoUpgradeSchedule',
      systemData: { createdAt: '2026-04-14T08:00:00Z' },
      properties: {
        maintenanceWindow: {
          schedule: { weekly: { intervalWeeks: 2, dayOfWeek: 'Sunday' } },
          durationHours: 4,
          startTime: '00:00',
        },
      },
    });
    expect(s).toMatchObject({ startDate: '2026-04-14' });
  });

  test('an applicable configuration that does not parse is an error naming the field, never a guessed window', () => {
    const broken = {
      name: 'aksManagedAutoUpgradeSchedule',
      properties: {
        maintenanceWindow: {
          schedule: { weekly: { intervalWeeks: 1 } },
          durationHours: 4,
          startTime: '01:00',
        },
      },
    };
    expect(() => selectSchedule([broken], 'kubernetes')).toThrow(ValidationError);
    expect(() => selectSchedule([broken], 'kubernetes')).toThrow(
      'aksManagedAutoUpgradeSchedule.maintenanceWindow.schedule.weekly.dayOfWeek must be one of Sunday',
    );
  });

  test.each([
    [
      { schedule: { daily: { intervalDays: 1 }, weekly: { intervalWeeks: 1, dayOfWeek: 'Monday' } } },
      'maintenanceWindow.schedule must have exactly one of',
    ],
    [
      { schedule: { daily: { intervalDays: 0 } } },
      'maintenanceWindow.schedule.daily.intervalDays must be an integer from 1',
    ],
    [
      { schedule: { daily: { intervalDays: 1 } }, durationHours: 25 },
      'maintenanceWindow.durationHours must be an integer from 1 to 24',
    ],
    [
      { schedule: { daily: { intervalDays: 1 } }, utcOffset: '5:30' },
      'maintenanceWindow.utcOffset must be an offset like +05:30',
    ],
    [
      { schedule: { daily: { intervalDays: 1 } }, startTime: '24:00' },
      'maintenanceWindow.startTime must be a time HH:mm',
    ],
    [
      { schedule: { daily: { intervalDays: 1 } }, startDate: '2026-02-30' },
      'maintenanceWindow.startDate must be a real calendar date',
    ],
    [
      { schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Fifth', dayOfWeek: 'Monday' } } },
      'weekIndex must be one of First, Second, Third, Fourth, Last',
    ],
    [
      {
        schedule: { daily: { intervalDays: 1 } },
        notAllowedDates: [{ start: '2026-12-24', end: '2026-12-20' }],
      },
      'maintenanceWindow.notAllowedDates[0].end must not be before start',
    ],
  ])('rejects %j naming the field', (fields, message) => {
    expect(() => window(fields)).toThrow(message);
  });
});

describe('the policy window (fallback when AKS has none for the plan)', () => {
  test('weekdays + start + duration + offset: open on any of the days', () => {
    const s = policySchedule({
      days: ['Tuesday', 'Thursday'],
      startTime: '23:00',
      durationHours: 4,
      utcOffset: '+01:00',
    });
    expect(s.form).toBe('anyOf');
    expect(describeSchedule(s)).toBe('every week on Tuesday, Thursday at 23:00 UTC+01:00 for 4 h');
    // Tuesday 24 Nov 2026 23:00 +01:00 = 22:00 UTC
    expect(opensAt(s, '2026-11-24T00:00:00Z')).toBe('2026-11-24T22:00:00.000Z');
    expect(opensAt(s, '2026-11-25T00:00:00Z')).toBe('2026-11-26T22:00:00.000Z');
    expect(windowAt(s, at('2026-11-27T01:00:00Z'))).toMatchObject({ open: true, remainingMs: 3_600_000 });
  });

  test('no days means every day; one day is a weekly window', () => {
    expect(policySchedule({ startTime: '02:00', durationHours: 4 })).toMatchObject({
      recurrence: { kind: 'daily', intervalDays: 1 },
    });
    expect(policySchedule({ days: ['Friday'], startTime: '02:00', durationHours: 4 })).toMatchObject({
      recurrence: { kind: 'weekly', intervalWeeks: 1, dayOfWeek: 'Friday' },
    });
  });

  test('the policy may give a fractional duration (90 minutes)', () => {
    const s = policySchedule({ days: [], startTime: '02:00', durationHours: 1.5, utcOffset: '+00:00' });
    expect(windowAt(s, at('2026-11-25T02:00:00Z')).remainingMs).toBe(90 * 60_000);
    expect(windowFindings([])).toHaveLength(1);
    expect(() => policySchedule({ startTime: '02:00', durationHours: 0 }, 'policy.windows.dev')).toThrow(
      'policy.windows.dev.durationHours must be more than 0 and at most 24',
    );
  });

  test('a bad policy window names the policy field', () => {
    expect(() =>
      policySchedule({ days: ['Funday'], startTime: '02:00', durationHours: 4 }, 'policy.windows.production'),
    ).toThrow('policy.windows.production.days[0] must be one of');
  });
});

describe('windowFindings', () => {
  const long = {
    name: 'aksManagedAutoUpgradeSchedule',
    properties: {
      maintenanceWindow: {
        schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } },
        durationHours: 8,
        startTime: '01:00',
      },
    },
  };

  test('no maintenance configuration at all is a finding', () => {
    expect(windowFindings([])).toEqual([
      expect.objectContaining({ code: 'maintenance-window-missing', severity: 'warning' }),
    ]);
  });

  test('a window of four hours or more is fine', () => {
    expect(windowFindings([long])).toEqual([]);
  });

  test('the legacy fixture (Monday 01:00-03:00) is under four hours, and the finding cites the guidance', () => {
    const body = fixture<Example>('arm/MaintenanceConfigurationsGet.json').responses['200']!.body;
    const [finding] = windowFindings([body]);
    expect(finding).toMatchObject({ code: 'maintenance-window-short', configName: 'default' });
    expect(finding?.message).toContain('only 2 h');
    expect(finding?.guidance).toContain('four hours or more');
  });

  test('an unreadable configuration is reported, not thrown', () => {
    const broken = { name: 'default', properties: {} };
    expect(windowFindings([broken])).toEqual([
      expect.objectContaining({ code: 'maintenance-configuration-invalid', configName: 'default' }),
    ]);
  });
});

test('describeSchedule reads like the docs', () => {
  const example = fixture<Example>('arm/MaintenanceConfigurationsCreate_Update_MaintenanceWindow.json');
  expect(describeSchedule(parseMaintenanceConfiguration(example.parameters.parameters))).toBe(
    'every 3 months on the first Monday at 08:30 UTC+05:30 for 10 h, from 2023-01-01, except 2023-02-18..2023-02-25, 2023-12-23..2024-01-05',
  );
});

test('scheduleKey: equal for the same window whatever the wire shape, different otherwise', () => {
  const raw = {
    name: 'aksManagedAutoUpgradeSchedule',
    properties: {
      maintenanceWindow: {
        schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } },
        durationHours: 4,
        startTime: '01:00',
        utcOffset: '+00:00',
        startDate: '2026-01-04',
      },
    },
  };
  const sdk = {
    name: 'aksManagedAutoUpgradeSchedule',
    maintenanceWindow: {
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'sunday' }, daily: null },
      durationHours: 4,
      startTime: '01:00',
      startDate: new Date('2026-01-04'),
    },
  };
  const later = {
    ...raw,
    properties: { maintenanceWindow: { ...raw.properties.maintenanceWindow, startTime: '05:00' } },
  };
  expect(scheduleKey(parseMaintenanceConfiguration(raw))).toBe(
    scheduleKey(parseMaintenanceConfiguration(sdk)),
  );
  expect(scheduleKey(parseMaintenanceConfiguration(later))).not.toBe(
    scheduleKey(parseMaintenanceConfiguration(raw)),
  );
});

describe('Defer: adding a blackout day to a configuration', () => {
  const auto = {
    name: 'aksManagedAutoUpgradeSchedule',
    properties: {
      maintenanceWindow: {
        schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
        durationHours: 6,
        startTime: '22:00',
        utcOffset: '+01:00',
        startDate: '2026-01-03',
        notAllowedDates: [{ start: '2026-12-24', end: '2026-12-26' }],
      },
    },
  };

  test('the scheduled instant becomes a blackout day on the window’s own clock, and that window no longer opens', () => {
    // given AKS announced an upgrade for Saturday 28 Nov 2026 21:30 UTC = 22:30 +01:00
    const day = localDate(at('2026-11-28T21:30:00Z'), '+01:00');
    expect(day).toBe('2026-11-28');
    // when Defer adds it
    const change = withBlackoutDate(auto, day);
    // then the PUT body keeps everything else and lists the new day
    expect(change).toMatchObject({ configName: 'aksManagedAutoUpgradeSchedule', changed: true });
    expect(change.properties).toEqual({
      maintenanceWindow: {
        ...auto.properties.maintenanceWindow,
        notAllowedDates: [
          { start: '2026-12-24', end: '2026-12-26' },
          { start: '2026-11-28', end: '2026-11-28' },
        ],
      },
    });
    const after = parseMaintenanceConfiguration({ name: change.configName, properties: change.properties });
    expect(windowAt(after, at('2026-11-28T21:30:00Z')).open).toBe(false);
    expect(opensAt(after, '2026-11-28T00:00:00Z')).toBe('2026-12-05T21:00:00.000Z');
  });

  test('a day already blacked out changes nothing (a second click is harmless)', () => {
    expect(withBlackoutDate(auto, '2026-12-25')).toMatchObject({ changed: false });
  });

  test('the legacy form gets a notAllowedTime for the whole UTC day', () => {
    const body = fixture<Example>('arm/MaintenanceConfigurationsGet.json').responses['200']!.body;
    const change = withBlackoutDate(body, '2026-11-30');
    expect(change.changed).toBe(true);
    expect(change.properties.notAllowedTime).toEqual([
      { start: '2020-11-26T03:00:00.000Z', end: '2020-11-30T12:00:00.000Z' },
      { start: '2026-11-30T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
    ]);
    expect(change.properties.timeInWeek).toEqual([{ day: 'Monday', hourSlots: [1, 2] }]);
  });

  test('the SDK form (dates as Date) comes back as ARM JSON strings', () => {
    const sdk = {
      name: 'aksManagedNodeOSUpgradeSchedule',
      maintenanceWindow: {
        schedule: { daily: { intervalDays: 1 } },
        durationHours: 4,
        startTime: '02:00',
        startDate: new Date('2026-01-01'),
      },
    };
    expect(withBlackoutDate(sdk, '2026-12-24').properties).toEqual({
      maintenanceWindow: {
        schedule: { daily: { intervalDays: 1 } },
        durationHours: 4,
        utcOffset: '+00:00',
        startDate: '2026-01-01',
        startTime: '02:00',
        notAllowedDates: [{ start: '2026-12-24', end: '2026-12-24' }],
      },
    });
  });

  test('a bad date is refused naming it', () => {
    expect(() => withBlackoutDate(auto, '28/11/2026')).toThrow('date must be a date YYYY-MM-DD');
  });
});
