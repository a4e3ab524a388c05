import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { NoticeKind } from '../shared/domain/notice';
import { SIGNATURE_HEADER, verifyWebhook } from '../shared/notify/templates/cloudEvent';
import { HEADINGS } from '../shared/notify/templates/common';
import type { Mount } from './host';
import type { SimEmail } from './sim/acs/email';
import { AcsEmailSim } from './sim/acs/email';
import type { PersistentPart, SimSnapshot } from './sim/persistence/snapshot';
import type { SimTeamsPost } from './sim/teams/workflow';
import { TeamsWorkflowSim } from './sim/teams/workflow';

/**
 * What the local simulators received, for people and tests: `/_local/outbox` (HTML, links clickable)
 * and `/_local/outbox.json` (`[{ channel, to, subject, text, html?, card?, links, at }]`, newest first).
 */
export interface OutboxMessage {
  readonly channel: 'email' | 'teams' | 'webhook';
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly card?: unknown;
  readonly links: string[];
  readonly at: string;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function linksOf(html: string | undefined, text: string | undefined): string[] {
  const found = html
    ? [...html.matchAll(/href="([^"]+)"/g)].map((m) => decodeEntities(m[1] ?? ''))
    : [...(text ?? '').matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
  return [...new Set(found)];
}

interface CardElement {
  type?: string;
  text?: string;
  size?: string;
  facts?: { title?: string; value?: string }[];
  items?: CardElement[];
}

function cardText(card: { body?: CardElement[] }): { subject: string; text: string } {
  const lines: string[] = [];
  let subject: string | undefined;
  const walk = (elements: CardElement[] | undefined): void => {
    for (const e of elements ?? []) {
      if (e.type === 'TextBlock' && typeof e.text === 'string') {
        if (subject === undefined && e.size === 'Large') subject = e.text;
        lines.push(e.text);
      }
      if (e.type === 'FactSet')
        for (const f of e.facts ?? []) lines.push(`${f.title ?? ''}: ${f.value ?? ''}`);
      walk(e.items);
    }
  };
  walk(card.body);
  return { subject: subject ?? lines[0] ?? '', text: lines.join('\n') };
}

/** Everything the simulators captured, newest first. */
/**
 * A receiver for Warden's outbound webhook at `/_local/webhook`: point `WARDEN_WEBHOOK_URL` at it to
 * see the CloudEvents in the outbox viewer. With `WARDEN_WEBHOOK_SECRET` set it checks the signature
 * as a real receiver should (401 otherwise).
 */
export class LocalWebhookSink {
  readonly received: OutboxMessage[] = [];

  constructor(private readonly secret: () => string | undefined) {}

  readonly mount: Mount = {
    prefix: '/_local/webhook',
    handle: (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
      const text = body.toString('utf8');
      const secret = this.secret();
      const signature = String(req.headers[SIGNATURE_HEADER] ?? '');
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return Promise.resolve();
      }
      if (secret !== undefined && !verifyWebhook(secret, text, signature, new Date())) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'unauthorized', detail: `bad or missing ${SIGNATURE_HEADER}` }));
        return Promise.resolve();
      }
      let event: {
        type?: unknown;
        subject?: unknown;
        data?: { title?: unknown; actions?: { url?: unknown }[] };
      };
      try {
        event = JSON.parse(text) as typeof event;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'bad request', detail: 'body is not JSON' }));
        return Promise.resolve();
      }
      this.received.push({
        channel: 'webhook',
        to: req.url ?? '/_local/webhook',
        subject: `${typeof event.type === 'string' ? event.type : 'event'}: ${typeof event.data?.title === 'string' ? event.data.title : ''}`,
        text: JSON.stringify(event, null, 2),
        links: (event.data?.actions ?? [])
          .map((a) => a.url)
          .filter((u): u is string => typeof u === 'string'),
        at: new Date().toISOString(),
      });
      res.writeHead(202).end();
      return Promise.resolve();
    },
  };
}

export function collectOutbox(
  acs: AcsEmailSim,
  teams: TeamsWorkflowSim,
  webhook: readonly OutboxMessage[] = [],
): OutboxMessage[] {
  const emails: OutboxMessage[] = acs.sent.flatMap((m) =>
    [...m.to, ...m.cc].map((to) => ({
      channel: 'email' as const,
      to,
      subject: m.subject,
      text: m.plainText ?? '',
      ...(m.html !== undefined && { html: m.html }),
      links: linksOf(m.html, m.plainText),
      at: m.at,
    })),
  );
  const cards: OutboxMessage[] = teams.posts.flatMap((p) =>
    p.cards.map((card) => {
      const { subject, text } = cardText(card);
      const actions = (card as { actions?: { type?: string; url?: string }[] }).actions ?? [];
      return {
        channel: 'teams' as const,
        to: p.workflow,
        subject,
        text,
        card,
        links: actions
          .filter((a) => a.type === 'Action.OpenUrl' && typeof a.url === 'string')
          .map((a) => a.url ?? ''),
        at: p.at,
      };
    }),
  );
  return [...emails, ...cards, ...webhook].sort((a, b) => b.at.localeCompare(a.at));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the outbox page shows: `?channel=`, `?to=`, `?kind=` narrow the list. */
export interface OutboxFilter {
  readonly channel?: string;
  readonly to?: string;
  readonly kind?: string;
}

const KIND_BY_HEADING = new Map(
  Object.entries(HEADINGS).map(([kind, heading]) => [heading, kind as NoticeKind]),
);
const APPROVAL_KINDS: ReadonlySet<string> = new Set([
  'approval-requested',
  'approval-reminder',
  'approval-escalated',
]);

/** The notice kind of a sent message, from the heading every template starts with ("Approval needed · Warning"). */
export function kindOf(m: OutboxMessage): string {
  const first = m.text.split('\n')[0] ?? '';
  const heading = first
    .replace(/ \((Info|Warning|Critical)\)$/, '')
    .replace(/ · (Info|Warning|Critical)$/, '');
  return (
    KIND_BY_HEADING.get(heading) ?? (m.channel === 'webhook' ? (m.subject.split(':')[0] ?? 'event') : 'other')
  );
}

/** A card's JSON inside a `<script type="application/json">`: `<` escaped so no text can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function options(name: string, values: readonly string[], selected: string | undefined): string {
  return `<label>${name} <select name="${name}"><option value="">all</option>${values
    .map(
      (v) => `<option value="${escapeHtml(v)}"${v === selected ? ' selected' : ''}>${escapeHtml(v)}</option>`,
    )
    .join('')}</select></label>`;
}

/**
 * The local outbox page: filters by channel, recipient and kind; approval requests stand out with their
 * decision link first; a Teams card is drawn by the Adaptive Cards renderer (served by the local host,
 * no network) beside its JSON. Without scripts the JSON, the text and every link are still there.
 */
export function renderOutboxPage(all: readonly OutboxMessage[], filter: OutboxFilter = {}): string {
  const e = escapeHtml;
  const withKind = all.map((m) => ({ m, kind: kindOf(m) }));
  const shown = withKind.filter(
    ({ m, kind }) =>
      (filter.channel === undefined || m.channel === filter.channel) &&
      (filter.to === undefined || m.to === filter.to) &&
      (filter.kind === undefined || kind === filter.kind),
  );
  const distinct = (f: (x: (typeof withKind)[number]) => string): string[] =>
    [...new Set(withKind.map(f))].sort();
  const items = shown
    .map(({ m, kind }, i) => {
      const approval = APPROVAL_KINDS.has(kind);
      const decide = approval ? m.links.find((l) => l.includes('/api/approvals/')) : undefined;
      return `<article class="${approval ? 'approval' : ''}">
<p class="meta"><span class="badge ${m.channel}">${m.channel}</span> ${approval ? '<span class="badge ask">approval request</span> ' : ''}<span class="kind">${e(kind)}</span> to <strong>${e(m.to)}</strong> · ${e(m.at.slice(0, 19).replace('T', ' '))} UTC</p>
<h2>${e(m.subject)}</h2>
${decide !== undefined ? `<p><a class="decide" href="${e(decide)}">Review and decide (${e(m.to)}’s personal link)</a></p>` : ''}
${m.links.length > 0 ? `<ul class="links">${m.links.map((l) => `<li><a href="${e(l)}">${e(l)}</a></li>`).join('')}</ul>` : ''}
${
  m.card !== undefined
    ? `<div class="card"><div class="card-render" data-card="card-${i}" aria-label="The card as Teams shows it"><p class="muted">The card as Teams shows it needs scripts; its JSON is beside it.</p></div>
<script type="application/json" id="card-${i}">${scriptJson(m.card)}</script>
<details><summary>Adaptive Card JSON</summary><pre>${e(JSON.stringify(m.card, null, 2))}</pre></details></div>`
    : ''
}
<details><summary>Text</summary><pre>${e(m.text)}</pre></details>
${m.html !== undefined ? `<details><summary>As the email looks</summary><iframe title="The email as sent" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${e(m.html.replace(/<a /g, '<a target="_blank" '))}"></iframe></details>` : ''}
</article>`;
    })
    .join('\n');
  const filtered = filter.channel !== undefined || filter.to !== undefined || filter.kind !== undefined;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warden outbox (local)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:12px;color:#1b1b1b}
article{border:1px solid #ddd;border-radius:8px;padding:10px 14px;margin:12px 0}
article.approval{border:2px solid #8a5300;background:#fffaf0}
h2{font-size:18px;margin:6px 0}.meta{margin:0;color:#444;font-size:14px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px}
.email{background:#0b5cad}.teams{background:#5b5fc7}.webhook{background:#555}.ask{background:#8a5300}
.links a{font-size:16px;word-break:break-all}pre{white-space:pre-wrap;font-size:13px}
a.decide{display:inline-block;background:#1a7f37;color:#fff;padding:8px 14px;border-radius:6px;font-weight:600;text-decoration:none}
.card{display:grid;gap:12px;grid-template-columns:minmax(0,1fr)}@media (min-width:900px){.card{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
.card-render{border:1px solid #e1dfdd;border-radius:4px;padding:4px;background:#fff;max-width:540px}
.muted{color:#555;font-size:14px}form{margin:8px 0}label{margin-right:12px}
iframe{width:100%;height:520px;border:1px solid #eee}
</style></head><body>
<nav><a href="/api/dashboard">Dashboard</a></nav>
<h1>Outbox</h1>
<p>What Warden sent through the local ACS Email and Teams simulators, newest first. For scripts: <code>GET /_local/outbox.json</code>.</p>
<form method="get" action="/_local/outbox">
${options(
  'channel',
  distinct(({ m }) => m.channel),
  filter.channel,
)}
${options(
  'to',
  distinct(({ m }) => m.to),
  filter.to,
)}
${options(
  'kind',
  distinct(({ kind }) => kind),
  filter.kind,
)}
<button type="submit">show</button> ${filtered ? '<a href="/_local/outbox">show all</a>' : ''}
</form>
<p class="muted">${shown.length} of ${all.length} messages${filtered ? ' match the filter' : ''}; approval requests have an amber frame.</p>
${shown.length === 0 ? '<p>Nothing sent yet.</p>' : items}
<script src="/_local/assets/adaptivecards.js"></script>
<script src="/_local/assets/outbox.js"></script>
</body></html>`;
}

/**
 * Teams' light theme, as its published host config has it (fonts, text colours, 6 actions), so the
 * renderer draws a card with the colours Teams uses.
 */
const TEAMS_LIGHT = {
  fontFamily: "'Segoe UI', Tahoma, Geneva, Verdana, sans-serif",
  fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 200, default: 400, bolder: 600 },
  actions: { maxActions: 6, buttonSpacing: 8, actionsOrientation: 'Horizontal' },
  containerStyles: {
    default: {
      backgroundColor: '#ffffff',
      foregroundColors: {
        default: { default: '#252424', subtle: '#bf252424' },
        accent: { default: '#6264a7', subtle: '#8b8cc7' },
        good: { default: '#92c353', subtle: '#e592c353' },
        warning: { default: '#f8d22a', subtle: '#e5f8d22a' },
        attention: { default: '#c4314b', subtle: '#e5c4314b' },
      },
    },
  },
};

/** Draws each card with the Adaptive Cards renderer; a link in a card opens like any link. */
const OUTBOX_SCRIPT = `(function () {
  var AC = window.AdaptiveCards;
  if (!AC) return;
  var hostConfig = new AC.HostConfig(${JSON.stringify(TEAMS_LIGHT)});
  document.querySelectorAll('.card-render').forEach(function (host) {
    var source = document.getElementById(host.getAttribute('data-card'));
    if (!source) return;
    try {
      var card = new AC.AdaptiveCard();
      card.hostConfig = hostConfig;
      card.onExecuteAction = function (action) {
        if (action instanceof AC.OpenUrlAction && /^https?:/.test(action.url)) window.location.href = action.url;
      };
      card.parse(JSON.parse(source.textContent));
      var rendered = card.render();
      host.textContent = '';
      host.appendChild(rendered);
    } catch (e) {
      host.textContent = 'The renderer could not draw this card: ' + e;
    }
  });
})();`;

function filterOf(url: string | undefined): OutboxFilter {
  const q = new URL(url ?? '/', 'http://local').searchParams;
  const pick = (name: string): string | undefined => q.get(name)?.trim() || undefined;
  const channel = pick('channel');
  const to = pick('to');
  const kind = pick('kind');
  return {
    ...(channel !== undefined && { channel }),
    ...(to !== undefined && { to }),
    ...(kind !== undefined && { kind }),
  };
}

/** The page, its JSON, and the two scripts it loads (the renderer from the `adaptivecards` package). */
export function outboxMounts(collect: () => OutboxMessage[]): Mount[] {
  const page: Mount = {
    prefix: '/_local/outbox',
    handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'",
      });
      res.end(renderOutboxPage(collect(), filterOf(req.url)));
      return Promise.resolve();
    },
  };
  const data: Mount = {
    prefix: '/_local/outbox.json',
    handle(_req: IncomingMessage, res: ServerResponse): Promise<void> {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(collect()));
      return Promise.resolve();
    },
  };
  let renderer: Buffer | undefined;
  const assets: Mount = {
    prefix: '/_local/assets',
    handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      const js = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' };
      if (path === '/_local/assets/outbox.js') res.writeHead(200, js).end(OUTBOX_SCRIPT);
      else if (path === '/_local/assets/adaptivecards.js') {
        renderer ??= readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'));
        res.writeHead(200, js).end(renderer);
      } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return Promise.resolve();
    },
  };
  return [data, assets, page];
}

/** The notification side of `npm start`: the ACS Email and Teams simulators, and the outbox viewer. */
export interface LocalNotifications {
  readonly mounts: Mount[];
  /** Lines for the start banner. */
  readonly lines: string[];
  /** Messages in the outbox now (after a resume: those sent before the restart). */
  count(): number;
  close(): Promise<void>;
}

/** Teams workflow names the local run configures (policy routes and `teams-channel` tags name them). */
export const LOCAL_WORKFLOWS = ['platform', 'production', 'staging', 'dev', 'canary'] as const;

interface SavedOutbox {
  readonly email: SimEmail[];
  readonly teams: SimTeamsPost[];
  readonly webhook: OutboxMessage[];
}

/** What the outbox shows, in the simulator's snapshot, so its history outlives a restart. */
function outboxPart(acs: AcsEmailSim, teams: TeamsWorkflowSim, sink: LocalWebhookSink): PersistentPart {
  return {
    key: 'outbox',
    save: (): SavedOutbox => ({ email: acs.sent, teams: teams.posts, webhook: sink.received }),
    load(saved: unknown) {
      const s = saved as SavedOutbox;
      acs.sent.push(...s.email);
      teams.posts.push(...s.teams);
      sink.received.push(...s.webhook);
    },
    revision: () => acs.sent.length + teams.posts.length + sink.received.length,
  };
}

/**
 * Starts the simulators on loopback and points Warden at them through the same settings Azure uses,
 * unless those settings are already set (then Warden talks to what they name). With a snapshot, what
 * they received is kept in it and shown again after a restart.
 */
export async function startLocalNotifications(
  env: NodeJS.ProcessEnv,
  snapshot?: SimSnapshot,
): Promise<LocalNotifications> {
  const acs = new AcsEmailSim({ quota: { perMinute: 60, perHour: 1000 } });
  const teams = new TeamsWorkflowSim();
  const sink = new LocalWebhookSink(() => env.WARDEN_WEBHOOK_SECRET);
  snapshot?.register(outboxPart(acs, teams, sink));
  await acs.start();
  await teams.start();
  if (env.WARDEN_ACS_CONNECTION_STRING === undefined && env.WARDEN_ACS_ENDPOINT === undefined)
    env.WARDEN_ACS_CONNECTION_STRING = acs.connectionString;
  env.WARDEN_ACS_SENDER ??= 'DoNotReply@warden.example';
  env.WARDEN_TEAMS_WORKFLOWS ??= JSON.stringify(
    Object.fromEntries(LOCAL_WORKFLOWS.map((name) => [name, teams.workflowUrl(name)])),
  );
  return {
    mounts: [...outboxMounts(() => collectOutbox(acs, teams, sink.received)), sink.mount],
    lines: [
      `  sim       ACS Email ${acs.url} (faults: POST ${acs.url}/_control/faults)`,
      // The trigger path and its signature, as a Workflows URL has them: a bare /workflows/{name} is a 404.
      `  sim       Teams workflows ${teams.url}/workflows/{${LOCAL_WORKFLOWS.join(',')}}/triggers/manual/paths/invoke?…&sig=… (the signed URLs are in WARDEN_TEAMS_WORKFLOWS)`,
    ],
    count: () => collectOutbox(acs, teams, sink.received).length,
    async close() {
      await Promise.allSettled([acs.close(), teams.close()]);
    },
  };
}
