import type { ErrorObject } from 'ajv';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';

import type { PreflightBlocking, PreflightCheckId } from './preflight';
import { PREFLIGHT_CHECK_IDS } from './preflight';
import type { UpgradeTiming } from './preflightChecks';
import type { Ring } from './rings';
import { DEFAULT_RING_TAG, DEFAULT_RING_VALUES, RINGS } from './rings';
import type { WavePolicy } from './wave';
import { DEFAULT_WAVE_FIELDS, DEFAULT_WAVE_LARGEST, WAVE_FIELDS } from './wave';

/**
 * The platform team's policy: how rings are read from tags, how long a version soaks
 * in a ring before the next, which rings need a human, who may approve, how long a request lives,
 * where notices go, and whether Warden may run an upgrade by itself. One JSON or YAML document,
 * validated against {@link POLICY_SCHEMA}; every field has a default a platform team would pick.
 */

/** Where notices for a ring go: email addresses and Teams workflow names (shared/notify resolves names to URLs). */
export interface Route {
  readonly email: readonly string[];
  readonly teams: readonly string[];
}

export interface RingRoute extends Route {
  /** The escalation list: used when an approval request is not answered in time. */
  readonly secondary: Route;
}

/**
 * A maintenance window the policy gives a ring when its cluster has no AKS maintenance configuration.
 * Same vocabulary as AKS `maintenanceWindow` weekly/daily schedules.
 */
export interface PolicyWindow {
  /** `Monday`…`Sunday`; empty means every day. */
  readonly days: readonly string[];
  /** `HH:mm` local to `utcOffset`. */
  readonly startTime: string;
  readonly durationHours: number;
  /** `+HH:mm` / `-HH:mm`. */
  readonly utcOffset: string;
}

export interface ApprovalPolicy {
  /** Distinct approvals needed per ring (used for gated rings). */
  readonly required: Readonly<Record<Ring, number>>;
  /** Emails allowed to approve, lower-case. Empty: the ring's on-call route (primary and secondary) may approve. */
  readonly allow: readonly string[];
  /** Entra group object ids whose members may approve (checked against the signed-in principal's `groups` claim). */
  readonly groups: readonly string[];
  /**
   * Approvers must be signed in (App Service Authentication) as the person the link was sent to, so a
   * forwarded link is of no use to anyone else. Needs Easy Auth on the app; checked at start.
   */
  readonly requireSignIn: boolean;
  readonly expiryMs: number;
  /** Fraction of the expiry at which on-call is reminded. */
  readonly reminderAt: number;
  /** Fraction of the expiry at which the request goes to the secondary list too. */
  readonly escalateAt: number;
}

/** Pre-flight: which outcomes stop a step per ring, how old a report may be, the time estimates. */
export interface PreflightPolicy {
  /** Per ring: check ids whose `fail` / `unknown` make the verdict `no-go` (default: `fail` blocks staging and production). */
  readonly block: Readonly<Record<Ring, PreflightBlocking>>;
  /** A report older than this is run again before the approval request goes out. */
  readonly maxAgeMs: number;
  /** What `window-fits` estimates with. */
  readonly timing: UpgradeTiming;
}

export interface Policy {
  readonly ringTag: string;
  readonly ringValues: Readonly<Record<Ring, readonly string[]>>;
  /** How long a version must have soaked in the ring *before* this one (canary: 0). */
  readonly soakMs: Readonly<Record<Ring, number>>;
  readonly gatedRings: readonly Ring[];
  readonly approvals: ApprovalPolicy;
  readonly allowPreview: boolean;
  /** Fallback windows per ring. */
  readonly windows: Readonly<Partial<Record<Ring, PolicyWindow>>>;
  /** A step starts only when the open window has at least this much time left. */
  readonly minimumWindowRemainingMs: number;
  readonly routes: Readonly<Record<Ring, RingRoute>>;
  /** Platform team's own route (digests, failures). */
  readonly platform: Route;
  /** Tag naming the owners' email(s), comma- or semicolon-separated. */
  readonly ownerTag: string;
  /** When false, Warden plans and notifies for the ring but never runs an upgrade there by itself. */
  readonly autoExecute: Readonly<Record<Ring, boolean>>;
  /**
   * Node pools (names, without case) upgraded first, in this order; the others follow, system pools
   * first. Empty: system pools first, then by name (the AKS guidance's default).
   */
  readonly poolOrder: readonly string[];
  readonly preflight: PreflightPolicy;
  /** A Fleet Manager gate Warden rejected or let expire: stop the update run, or skip the stage or group behind the gate. */
  readonly fleetGateRefusal: 'stop' | 'skip';
  /** Gated plans asked for in waves (one decision over several plans); unset: every plan on its own. */
  readonly waves?: WavePolicy;
  /**
   * Informational notices (scheduled, started, approved, succeeded) reach each recipient as one
   * message per window of this length (15 min is a good start); 0 sends each at once
   * (shared/notify/batching.ts).
   */
  readonly batchWindowMs: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

const noRoute: RingRoute = { email: [], teams: [], secondary: { email: [], teams: [] } };

export const DEFAULT_POLICY: Policy = Object.freeze<Policy>({
  ringTag: DEFAULT_RING_TAG,
  ringValues: DEFAULT_RING_VALUES,
  soakMs: { canary: 0, dev: 1 * DAY, staging: 2 * DAY, production: 7 * DAY },
  gatedRings: ['production'],
  approvals: {
    required: { canary: 1, dev: 1, staging: 1, production: 1 },
    allow: [],
    groups: [],
    requireSignIn: false,
    expiryMs: 24 * HOUR,
    reminderAt: 0.5,
    escalateAt: 0.75,
  },
  allowPreview: false,
  windows: {},
  minimumWindowRemainingMs: 1 * HOUR,
  routes: { canary: noRoute, dev: noRoute, staging: noRoute, production: noRoute },
  platform: { email: [], teams: [] },
  ownerTag: 'owner-email',
  autoExecute: { canary: true, dev: true, staging: true, production: true },
  poolOrder: [],
  preflight: {
    block: {
      canary: {},
      dev: {},
      staging: { fail: PREFLIGHT_CHECK_IDS },
      production: { fail: PREFLIGHT_CHECK_IDS },
    },
    maxAgeMs: 1 * HOUR,
    timing: { controlPlaneMs: 15 * 60_000, batchMs: 10 * 60_000 },
  },
  fleetGateRefusal: 'stop',
  batchWindowMs: 15 * 60_000,
});

export function isGated(policy: Policy, ring: Ring): boolean {
  return policy.gatedRings.includes(ring);
}

/** Owners' addresses from the cluster's owner tag (name matched without case). */
export function ownersFromTags(policy: Policy, tags: Readonly<Record<string, string>>): string[] {
  const entry = Object.entries(tags).find(([k]) => k.toLowerCase() === policy.ownerTag.toLowerCase());
  return (entry?.[1] ?? '')
    .split(/[,;\s]+/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => EMAIL.test(s));
}

// ---------------------------------------------------------------------------------------------
// Durations: ISO-8601 (`PT30S`, `P1D`, `P1DT12H`, `P2W`) or a number of days (fractions allowed).

const ISO_DURATION =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Milliseconds of an ISO-8601 duration or a number of days; undefined when it is neither. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * DAY : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * DAY;
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || /T$/i.test(text)) return undefined;
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return Math.round(
    ((w ?? 0) * 7 * 24 * 3600 + (d ?? 0) * 24 * 3600 + (h ?? 0) * 3600 + (min ?? 0) * 60 + (s ?? 0)) * 1000,
  );
}

/** `7 d`, `2 h`, `30 s`: a short human form for pages and notices. */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [DAY, 'd'],
    [HOUR, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size) {
      const n = ms / size;
      return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
    }
  }
  return `${ms} ms`;
}

// ---------------------------------------------------------------------------------------------
// The document and its schema.

const EMAIL = /^[^\s@<>"']+@[^\s@<>"']+\.[^\s@<>"']+$/;
const GUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** Checked by `parseDuration` after the schema, so the error says what a duration looks like. */
const DURATION = { type: ['number', 'string'] };
const emails = { type: 'array', items: { type: 'string', pattern: EMAIL.source }, uniqueItems: true };
const route = {
  type: 'object',
  additionalProperties: false,
  properties: { email: emails, teams: { type: 'array', items: { type: 'string', minLength: 1 } } },
};
const ringRoute = {
  type: 'object',
  additionalProperties: false,
  properties: { ...route.properties, secondary: route },
};
function byRing<T>(f: (ring: Ring) => T): Record<Ring, T> {
  return { canary: f('canary'), dev: f('dev'), staging: f('staging'), production: f('production') };
}

const perRing = (schema: object): object => ({
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(RINGS.map((r) => [r, schema])),
});
const window = {
  type: 'object',
  additionalProperties: false,
  required: ['startTime', 'durationHours'],
  properties: {
    days: {
      type: 'array',
      items: { enum: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] },
    },
    startTime: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' },
    durationHours: { type: 'number', minimum: 1, maximum: 24 },
    utcOffset: { type: 'string', pattern: '^[+-](0\\d|1[0-4]):[0-5]\\d$' },
  },
};

/** `all`, or a list of check ids. */
const checkList = {
  oneOf: [{ const: 'all' }, { type: 'array', items: { enum: [...PREFLIGHT_CHECK_IDS] }, uniqueItems: true }],
};

/** JSON Schema of the policy document (what `docs/policy.md` describes). */
export const POLICY_SCHEMA = {
  $id: 'https://warden.example/policy.schema.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    ringTag: { type: 'string', minLength: 1, maxLength: 512 },
    ringValues: perRing({ type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }),
    soak: perRing(DURATION),
    gatedRings: { type: 'array', items: { enum: [...RINGS] }, uniqueItems: true },
    approvals: {
      type: 'object',
      additionalProperties: false,
      properties: {
        required: perRing({ type: 'integer', minimum: 1, maximum: 10 }),
        allow: emails,
        groups: { type: 'array', items: { type: 'string', pattern: GUID }, uniqueItems: true },
        requireSignIn: { type: 'boolean' },
        expiry: DURATION,
        reminderAt: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        escalateAt: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      },
    },
    allowPreview: { type: 'boolean' },
    windows: perRing(window),
    minimumWindowRemaining: DURATION,
    routes: perRing(ringRoute),
    platform: route,
    ownerTag: { type: 'string', minLength: 1 },
    autoExecute: perRing({ type: 'boolean' }),
    poolOrder: {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]{0,11}$' },
      uniqueItems: true,
    },
    preflight: {
      type: 'object',
      additionalProperties: false,
      properties: {
        block: perRing({
          type: 'object',
          additionalProperties: false,
          properties: { fail: checkList, unknown: checkList },
        }),
        maxAge: DURATION,
        controlPlaneTime: DURATION,
        batchTime: DURATION,
      },
    },
    fleetGateRefusal: { enum: ['stop', 'skip'] },
    waves: {
      type: 'object',
      additionalProperties: false,
      properties: {
        by: { type: 'array', items: { enum: [...WAVE_FIELDS] }, uniqueItems: true },
        tag: { type: 'string', minLength: 1, maxLength: 512 },
        largest: { type: 'integer', minimum: 2, maximum: 500 },
      },
    },
    batchWindow: DURATION,
  },
} as const;

/** The document as written (durations still text). */
interface PolicyDocument {
  ringTag?: string;
  ringValues?: Partial<Record<Ring, string[]>>;
  soak?: Partial<Record<Ring, string | number>>;
  gatedRings?: Ring[];
  approvals?: {
    required?: Partial<Record<Ring, number>>;
    allow?: string[];
    groups?: string[];
    requireSignIn?: boolean;
    expiry?: string | number;
    reminderAt?: number;
    escalateAt?: number;
  };
  allowPreview?: boolean;
  windows?: Partial<Record<Ring, Partial<PolicyWindow>>>;
  minimumWindowRemaining?: string | number;
  routes?: Partial<Record<Ring, { email?: string[]; teams?: string[]; secondary?: Partial<Route> }>>;
  platform?: Partial<Route>;
  ownerTag?: string;
  autoExecute?: Partial<Record<Ring, boolean>>;
  poolOrder?: string[];
  preflight?: {
    block?: Partial<
      Record<Ring, { fail?: 'all' | PreflightCheckId[]; unknown?: 'all' | PreflightCheckId[] }>
    >;
    maxAge?: string | number;
    controlPlaneTime?: string | number;
    batchTime?: string | number;
  };
  fleetGateRefusal?: 'stop' | 'skip';
  waves?: { by?: WavePolicy['by'][number][]; tag?: string; largest?: number };
  batchWindow?: string | number;
}

/** A policy document that does not validate; `problems` name each field by its path. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

let validator: ReturnType<Ajv['compile']> | undefined;

function describeError(e: ErrorObject): string {
  const path = e.instancePath === '' ? '/' : e.instancePath;
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty ?? '?';
    return `${path === '/' ? '' : path}/${extra}: is not a policy field`;
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return `${path}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${path}: ${e.message ?? 'is invalid'}`;
}

/**
 * Parses and validates a policy document (JSON or YAML text; an empty text is the default policy),
 * and fills every missing field with its default. Throws `PolicyError` naming each bad field path.
 */
export function parsePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : (parseYaml(text) as unknown);
  } catch (e) {
    throw new PolicyError([
      `/: not JSON or YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
    ]);
  }
  return policyFromDocument(doc ?? {});
}

/** Validates an already parsed document and fills the defaults. */
export function policyFromDocument(doc: unknown): Policy {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(POLICY_SCHEMA);
  if (!validator(doc)) {
    throw new PolicyError((validator.errors ?? []).map(describeError));
  }
  const d = doc as PolicyDocument;
  const problems: string[] = [];
  const duration = (path: string, value: string | number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      problems.push(
        `${path}: "${String(value)}" is not an ISO-8601 duration (PT30S, P1D) or a number of days`,
      );
      return fallback;
    }
    return ms;
  };
  const D = DEFAULT_POLICY;
  const soakMs = byRing((r) => duration(`/soak/${r}`, d.soak?.[r], D.soakMs[r]));
  const lower = (xs: readonly string[] | undefined): string[] =>
    (xs ?? []).map((x) => x.trim().toLowerCase());
  const routes = byRing((r): RingRoute => {
    const given = d.routes?.[r];
    return {
      email: lower(given?.email),
      teams: [...(given?.teams ?? [])],
      secondary: { email: lower(given?.secondary?.email), teams: [...(given?.secondary?.teams ?? [])] },
    };
  });
  const windows: Partial<Record<Ring, PolicyWindow>> = {};
  for (const r of RINGS) {
    const w = d.windows?.[r];
    if (w?.startTime !== undefined && w.durationHours !== undefined) {
      windows[r] = {
        days: w.days ?? [],
        startTime: w.startTime,
        durationHours: w.durationHours,
        utcOffset: w.utcOffset ?? '+00:00',
      };
    }
  }
  const reminderAt = d.approvals?.reminderAt ?? D.approvals.reminderAt;
  const escalateAt = d.approvals?.escalateAt ?? D.approvals.escalateAt;
  if (escalateAt < reminderAt) problems.push('/approvals/escalateAt: must not come before reminderAt');
  const expiryMs = duration('/approvals/expiry', d.approvals?.expiry, D.approvals.expiryMs);
  if (expiryMs < 60_000) problems.push('/approvals/expiry: must be at least one minute');
  const policy: Policy = {
    ringTag: d.ringTag ?? D.ringTag,
    ringValues: { ...D.ringValues, ...d.ringValues },
    soakMs,
    gatedRings: d.gatedRings ?? D.gatedRings,
    approvals: {
      required: { ...D.approvals.required, ...d.approvals?.required },
      allow: lower(d.approvals?.allow),
      groups: lower(d.approvals?.groups),
      requireSignIn: d.approvals?.requireSignIn ?? D.approvals.requireSignIn,
      expiryMs,
      reminderAt,
      escalateAt,
    },
    allowPreview: d.allowPreview ?? D.allowPreview,
    windows,
    minimumWindowRemainingMs: duration(
      '/minimumWindowRemaining',
      d.minimumWindowRemaining,
      D.minimumWindowRemainingMs,
    ),
    routes,
    platform: { email: lower(d.platform?.email), teams: [...(d.platform?.teams ?? [])] },
    ownerTag: d.ownerTag ?? D.ownerTag,
    autoExecute: { ...D.autoExecute, ...d.autoExecute },
    poolOrder: (d.poolOrder ?? D.poolOrder).map((n) => n.toLowerCase()),
    preflight: {
      block: byRing((r): PreflightBlocking => {
        const given = d.preflight?.block?.[r];
        if (given === undefined) return D.preflight.block[r];
        const ids = (v: 'all' | PreflightCheckId[] | undefined): readonly PreflightCheckId[] =>
          v === 'all' ? PREFLIGHT_CHECK_IDS : (v ?? []);
        return { fail: ids(given.fail), unknown: ids(given.unknown) };
      }),
      maxAgeMs: duration('/preflight/maxAge', d.preflight?.maxAge, D.preflight.maxAgeMs),
      timing: {
        controlPlaneMs: duration(
          '/preflight/controlPlaneTime',
          d.preflight?.controlPlaneTime,
          D.preflight.timing.controlPlaneMs,
        ),
        batchMs: duration('/preflight/batchTime', d.preflight?.batchTime, D.preflight.timing.batchMs),
      },
    },
    fleetGateRefusal: d.fleetGateRefusal ?? D.fleetGateRefusal,
    ...(d.waves !== undefined && {
      waves: {
        by: d.waves.by ?? DEFAULT_WAVE_FIELDS,
        ...(d.waves.tag !== undefined && { tag: d.waves.tag }),
        largest: d.waves.largest ?? DEFAULT_WAVE_LARGEST,
      },
    }),
    batchWindowMs: duration('/batchWindow', d.batchWindow, D.batchWindowMs),
  };
  if (problems.length > 0) throw new PolicyError(problems);
  return Object.freeze(policy);
}

/** Who may approve a plan in this ring: the allow-list, or when it is empty the ring's on-call routes. */
export function allowedApprovers(policy: Policy, ring: Ring): string[] {
  if (policy.approvals.allow.length > 0) return [...policy.approvals.allow];
  const r = policy.routes[ring];
  return [...new Set([...r.email, ...r.secondary.email])];
}
