import type { Audience, Notice } from '../domain/notice';
import type { Ring } from '../domain/rings';
import type { Delivery } from './outbox';

/** Addresses on each channel: email addresses, and Teams workflow NAMES (keys of `WARDEN_TEAMS_WORKFLOWS`). */
export interface ChannelTargets {
  readonly email: readonly string[];
  readonly teams: readonly string[];
}

/**
 * Where notices go: the part of the policy (shared/domain/policy.ts `Policy`, which satisfies this
 * type) that routing reads. A ring's route is its on-call (primary) list and `secondary` its
 * escalation list. A workflow is always named, and resolved to its URL from configuration at send
 * time: a URL never comes from the policy or a tag.
 */
export interface NotificationRoutes {
  readonly routes: Partial<Readonly<Record<Ring, ChannelTargets & { readonly secondary: ChannelTargets }>>>;
  /** The platform team: fleet-wide notices, notices without a cluster, the daily digest. */
  readonly platform: ChannelTargets;
  /** The tag naming a cluster's owners' emails (default `owner-email`). */
  readonly ownerTag?: string;
}

export const EMPTY_ROUTES: NotificationRoutes = Object.freeze({
  routes: {},
  platform: { email: [], teams: [] },
});

/** Cluster tags app teams set to hear about their clusters (names compared without case, as ARM does). */
export const OWNER_EMAIL_TAG = 'owner-email';
export const TEAMS_CHANNEL_TAG = 'teams-channel';

export interface RoutingOptions {
  readonly routes: NotificationRoutes;
  /** Names of the configured Teams workflows; a name not in this set is never routed to. */
  readonly teamsWorkflows: ReadonlySet<string>;
  /** Whether the outbound webhook is configured: it then gets every notice once. */
  readonly webhook: boolean;
}

/** Every address a notice goes to, and the addresses left out with why (for logs and tests). */
export interface RouteResult {
  readonly deliveries: Delivery[];
  readonly skipped: { readonly value: string; readonly reason: string }[];
}

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

export function isEmailAddress(text: string): boolean {
  return text.length <= 254 && EMAIL.test(text);
}

/** A tag's value, the tag name matched without case (as ARM treats tag names). */
export function tag(tags: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  return Object.entries(tags ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** The entries of a list-valued tag (`a@x; b@x`, `team-a,team-b`). */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,;\s]+/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/**
 * Turns a notice into deliveries. A notice with a `teamsChannel` goes to that workflow only (a team's
 * digest). A notice with a `recipient` is personal (approval links are bound to
 * one approver): its email goes only to that address; the Teams workflows of its on-call routes and
 * the webhook get one shared copy per key, without the personal links.
 * Otherwise each audience adds its targets: `oncall` the cluster's ring route (the platform route for
 * fleet-wide notices), `oncall-secondary` the ring's secondary route, `owners` the cluster's owner tag
 * (`owner-email`) and `teams-channel` tag (a configured workflow name), `platform` the platform route.
 * The same address on one channel is announced once, whichever audiences lead to it.
 */
export function routeNotice(notice: Notice, options: RoutingOptions): RouteResult {
  const out = new Map<string, Delivery>();
  const skipped: { value: string; reason: string }[] = [];
  const addEmail = (address: string, from: string): void => {
    const a = address.trim();
    if (!isEmailAddress(a)) {
      skipped.push({ value: a, reason: `${from}: not an email address` });
      return;
    }
    const key = `email\n${a.toLowerCase()}`;
    if (!out.has(key)) out.set(key, { channel: 'email', to: a });
  };
  const addTeams = (name: string, from: string): void => {
    const n = name.trim();
    if (!options.teamsWorkflows.has(n)) {
      skipped.push({
        value: n,
        reason: /^[a-z]+:\/\//i.test(n)
          ? `${from}: a URL is never taken from a tag or route, only a configured workflow name`
          : `${from}: no Teams workflow named "${n}" in WARDEN_TEAMS_WORKFLOWS`,
      });
      return;
    }
    const key = `teams\n${n.toLowerCase()}`;
    if (!out.has(key)) out.set(key, { channel: 'teams', to: n });
  };
  const addTargets = (targets: ChannelTargets | undefined, from: string): void => {
    for (const e of targets?.email ?? []) addEmail(e, from);
    for (const t of targets?.teams ?? []) addTeams(t, from);
  };

  if (notice.teamsChannel !== undefined) {
    addTeams(notice.teamsChannel, 'teams channel');
  } else if (notice.recipient !== undefined) {
    addEmail(notice.recipient, 'recipient');
    // The on-call channel hears of it too, once per key (the outbox stores a copy without the links).
    const ring = notice.cluster !== undefined ? options.routes.routes[notice.cluster.ring] : undefined;
    const channels = new Set<Audience>(notice.audience);
    if (channels.has('oncall'))
      for (const t of (notice.cluster !== undefined ? ring : options.routes.platform)?.teams ?? [])
        addTeams(t, 'on-call route');
    if (channels.has('oncall-secondary'))
      for (const t of (notice.cluster !== undefined ? ring?.secondary : options.routes.platform)?.teams ?? [])
        addTeams(t, 'secondary route');
  } else {
    const { routes } = options;
    const audiences = new Set<Audience>(notice.audience);
    for (const audience of audiences) {
      const ring = notice.cluster !== undefined ? routes.routes[notice.cluster.ring] : undefined;
      switch (audience) {
        case 'oncall':
          if (notice.cluster !== undefined) addTargets(ring, `on-call route of ${notice.cluster.ring}`);
          else addTargets(routes.platform, 'platform route');
          break;
        case 'oncall-secondary':
          if (notice.cluster !== undefined)
            addTargets(ring?.secondary, `secondary route of ${notice.cluster.ring}`);
          else addTargets(routes.platform, 'platform route');
          break;
        case 'owners': {
          const ownerTag = routes.ownerTag ?? OWNER_EMAIL_TAG;
          for (const e of splitList(tag(notice.cluster?.tags, ownerTag))) addEmail(e, `tag ${ownerTag}`);
          for (const t of splitList(tag(notice.cluster?.tags, TEAMS_CHANNEL_TAG)))
            addTeams(t, `tag ${TEAMS_CHANNEL_TAG}`);
          break;
        }
        case 'platform':
          addTargets(routes.platform, 'platform route');
          break;
        default: {
          const never: never = audience;
          skipped.push({ value: String(never), reason: 'unknown audience' });
        }
      }
    }
  }
  if (options.webhook) out.set('webhook\nwebhook', { channel: 'webhook', to: 'webhook' });
  return { deliveries: [...out.values()], skipped };
}
