import type { IncomingMessage, ServerResponse } from 'node:http';

import { SIGNATURE_HEADER, verifyWebhook } from '../shared/notify/templates/cloudEvent';
import type { Mount } from './host';
import { AcsEmailSim } from './sim/acs/email';
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

export function renderOutboxPage(messages: readonly OutboxMessage[]): string {
  const e = escapeHtml;
  const items = messages
    .map(
      (m) => `<article>
<p class="meta"><span class="badge ${m.channel}">${m.channel}</span> to <strong>${e(m.to)}</strong> · ${e(m.at)}</p>
<h2>${e(m.subject)}</h2>
${m.links.length > 0 ? `<ul class="links">${m.links.map((l) => `<li><a href="${e(l)}">${e(l)}</a></li>`).join('')}</ul>` : ''}
<details><summary>Text</summary><pre>${e(m.text)}</pre></details>
${m.html !== undefined ? `<details><summary>As the email looks</summary><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${e(m.html.replace(/<a /g, '<a target="_blank" '))}"></iframe></details>` : ''}
${m.card !== undefined ? `<details><summary>Adaptive Card JSON</summary><pre>${e(JSON.stringify(m.card, null, 2))}</pre></details>` : ''}
</article>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warden outbox (local)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:780px;margin:0 auto;padding:12px;color:#1b1b1b}
article{border:1px solid #ddd;border-radius:8px;padding:10px 14px;margin:12px 0}
h2{font-size:18px;margin:6px 0}.meta{margin:0;color:#555;font-size:14px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px}
.email{background:#0b5cad}.teams{background:#5b5fc7}.webhook{background:#555}
.links a{font-size:16px;word-break:break-all}pre{white-space:pre-wrap;font-size:13px}
iframe{width:100%;height:520px;border:1px solid #eee}
</style></head><body>
<h1>Outbox</h1>
<p>What Warden sent through the local ACS Email and Teams simulators, newest first. JSON: <a href="/_local/outbox.json">/_local/outbox.json</a>.</p>
${messages.length === 0 ? '<p>Nothing sent yet.</p>' : items}
</body></html>`;
}

/** The two mounts for `local/start.ts`. */
export function outboxMounts(collect: () => OutboxMessage[]): Mount[] {
  const page: Mount = {
    prefix: '/_local/outbox',
    handle(_req: IncomingMessage, res: ServerResponse): Promise<void> {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderOutboxPage(collect()));
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
  return [data, page];
}

/** The notification side of `npm start`: the ACS Email and Teams simulators, and the outbox viewer. */
export interface LocalNotifications {
  readonly mounts: Mount[];
  /** Lines for the start banner. */
  readonly lines: string[];
  close(): Promise<void>;
}

/** Teams workflow names the local run configures (policy routes and `teams-channel` tags name them). */
export const LOCAL_WORKFLOWS = ['platform', 'production', 'staging', 'dev', 'canary'] as const;

/**
 * Starts the simulators on loopback and points Warden at them through the same settings Azure uses,
 * unless those settings are already set (then Warden talks to what they name).
 */
export async function startLocalNotifications(env: NodeJS.ProcessEnv): Promise<LocalNotifications> {
  const acs = new AcsEmailSim({ quota: { perMinute: 60, perHour: 1000 } });
  const teams = new TeamsWorkflowSim();
  const sink = new LocalWebhookSink(() => env.WARDEN_WEBHOOK_SECRET);
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
    async close() {
      await Promise.allSettled([acs.close(), teams.close()]);
    },
  };
}
