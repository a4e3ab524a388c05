import { compileRoute } from '../../local/host';
import { parseNcrontab } from '../../local/ncrontab';

describe('NCRONTAB schedules (the local host runs timers on them)', () => {
  const next = (expr: string, after: string): string =>
    parseNcrontab(expr).next(new Date(after)).toISOString();

  test('hourly at minute 0', () => {
    expect(next('0 0 * * * *', '2026-11-25T14:25:10Z')).toBe('2026-11-25T15:00:00.000Z');
  });
  test('every five minutes', () => {
    expect(next('0 */5 * * * *', '2026-11-25T14:25:00Z')).toBe('2026-11-25T14:30:00.000Z');
  });
  test('daily at 07:30 on weekdays, by name', () => {
    expect(next('0 30 7 * * Mon-Fri', '2026-11-27T08:00:00Z')).toBe('2026-11-30T07:30:00.000Z');
  });
  test('a strictly later instant even when the current second matches', () => {
    expect(next('*/10 * * * * *', '2026-11-25T14:25:10Z')).toBe('2026-11-25T14:25:20.000Z');
  });
  test('five fields are refused (Functions needs six)', () => {
    expect(() => parseNcrontab('0 * * * *')).toThrow(/six fields/);
  });
});

describe('route templates', () => {
  test('a parameter and an optional parameter', () => {
    const r = compileRoute('api/clusters/{nameOrId?}');
    expect(r.params).toEqual(['nameOrId']);
    expect(r.pattern.exec('/api/clusters')?.[1]).toBeUndefined();
    expect(r.pattern.exec('/api/clusters/prod-weu-1')?.[1]).toBe('prod-weu-1');
    expect(r.pattern.test('/api/clusters/a/b')).toBe(false);
  });
  test('a catch-all and a constraint', () => {
    expect(compileRoute('api/x/{*rest}').pattern.exec('/api/x/a/b/c')?.[1]).toBe('a/b/c');
    expect(compileRoute('api/n/{id:int}').pattern.exec('/api/n/42')?.[1]).toBe('42');
  });
});
