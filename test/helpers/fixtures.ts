import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The repository's copy of the real payloads (test/fixtures, provenance in each folder's SOURCES.md). */
export const FIXTURES = resolve(__dirname, '../fixtures');

export function fixtureText(relative: string): string {
  return readFileSync(resolve(FIXTURES, relative), 'utf8');
}

export function fixture<T = unknown>(relative: string): T {
  return JSON.parse(fixtureText(relative)) as T;
}

/** Every event fixture of one schema, by file name. */
export function eventFixtures(schema: 'eventgrid' | 'cloudevents'): string[] {
  return readdirSync(resolve(FIXTURES, 'events'))
    .filter(
      (f) => f.includes(`.${schema}.`) && f.endsWith('.json') && !f.startsWith('SubscriptionValidation'),
    )
    .sort();
}
