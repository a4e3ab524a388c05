import type { Html } from './html';
import { html } from './html';

/**
 * Times as people read them on Warden's pages: absolute with its zone ("Sat 6 Dec 02:00 UTC"), plus
 * relative where it helps (", in 3 h", ", 14 min ago"). The reader's "now" is always an argument, so a
 * page renders the same for the same data and clock. Emails use {@link absoluteTime} only: a relative
 * phrase is wrong by the time the mail is read.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function toDate(at: Date | string): Date | undefined {
  const d = typeof at === 'string' ? new Date(at) : at;
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * `Sat 6 Dec 02:00 UTC`; the year is added when it is not `now`'s year (or when there is no `now`), so
 * an email read next year still says which December. Seconds only with `seconds` (step timings).
 */
export function absoluteTime(at: Date | string, now?: Date, seconds = false): string {
  const d = toDate(at);
  if (d === undefined) return String(at);
  const year =
    now === undefined || now.getUTCFullYear() !== d.getUTCFullYear() ? ` ${d.getUTCFullYear()}` : '';
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return `${DAYS[d.getUTCDay()] ?? ''} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''}${year} ${time} UTC`;
}

/** A span of time in the largest units that matter: `5 s`, `14 min`, `3 h 20 min`, `2 d 4 h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** `in 3 h`, `14 min ago`, `now` (within 5 s either way). */
export function relativeTime(at: Date | string, now: Date): string {
  const d = toDate(at);
  if (d === undefined) return '';
  const ms = d.getTime() - now.getTime();
  if (Math.abs(ms) < 5_000) return 'now';
  return ms > 0 ? `in ${duration(ms)}` : `${duration(-ms)} ago`;
}

/** `Sat 6 Dec 02:00 UTC, in 3 h`: what a page shows for a time. */
export function whenText(at: Date | string, now: Date): string {
  const rel = relativeTime(at, now);
  return rel === '' ? absoluteTime(at, now) : `${absoluteTime(at, now)}, ${rel}`;
}

/** {@link whenText} as a `<time>` element carrying the ISO instant (for scripts, screen readers, copy). */
export function when(at: Date | string | undefined, now: Date): Html {
  if (at === undefined || at === '') return html`—`;
  const d = toDate(at);
  return html`<time datetime="${d?.toISOString() ?? String(at)}">${whenText(at, now)}</time>`;
}

/** An absolute time as a `<time>` element, without the relative part (tables of past entries). */
export function at(at: Date | string | undefined, now: Date, seconds = false): Html {
  if (at === undefined || at === '') return html`—`;
  const d = toDate(at);
  return html`<time datetime="${d?.toISOString() ?? String(at)}">${absoluteTime(at, now, seconds)}</time>`;
}
