/**
 * NCRONTAB, the six-field schedule Azure Functions timers use: `{second} {minute} {hour} {day} {month} {day-of-week}`.
 * Supports `*`, lists, ranges, steps and names of months and days. Times are UTC, as WEBSITE_TIME_ZONE is unset in Warden.
 */
export interface Schedule {
  next(after: Date): Date;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(text: string, min: number, max: number, names?: string[], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (t: string): number => {
    const i = names?.indexOf(t.toLowerCase().slice(0, 3)) ?? -1;
    const n = i >= 0 && /^[a-z]/i.test(t) ? i + nameBase : Number(t);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${t}" is out of range ${min}-${max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [lo, hi] = [value(a), value(b)];
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export function parseNcrontab(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`NCRONTAB needs six fields, got ${parts.length}: "${expression}"`);
  const [s = '', m = '', h = '', dom = '', mon = '', dow = ''] = parts;
  const seconds = field(s, 0, 59);
  const minutes = field(m, 0, 59);
  const hours = field(h, 0, 23);
  const days = field(dom, 1, 31);
  const months = field(mon, 1, 12, MONTHS, 1);
  const weekdays = new Set([...field(dow, 0, 7, DAYS)].map((d) => d % 7));
  const anyDom = dom === '*';
  const anyDow = dow === '*';
  const dayMatches = (d: Date): boolean => {
    const byDom = days.has(d.getUTCDate());
    const byDow = weekdays.has(d.getUTCDay());
    if (anyDom && anyDow) return true;
    if (anyDom) return byDow;
    if (anyDow) return byDom;
    return byDom || byDow;
  };
  return {
    next(after: Date): Date {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getTime() + 5 * 366 * 86_400_000;
      while (t.getTime() < limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
          continue;
        }
        return t;
      }
      throw new Error(`"${expression}" never fires`);
    },
  };
}
