import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';

import { closeNow, listenOnLoopback } from '../loopback';

/**
 * A Teams Workflows trigger ("Post to a channel when a webhook request is received"), as Warden sees
 * it: `POST /workflows/{name}/triggers/manual/paths/invoke?…&sig=…` answers 202 for a message with
 * Adaptive Card attachments, 400 for anything else (legacy MessageCards included), 413 over 28 KB,
 * 401 for a bad `sig`. Faults: the next N posts 5xx or 429.
 */

export interface SimTeamsPost {
  readonly workflow: string;
  readonly cards: readonly Record<string, unknown>[];
  readonly at: string;
}

/** Teams refuses messages over about 28 KB ("Request Entity too large"). */
export const TEAMS_SIM_MAX_BYTES = 28 * 1024;

export class TeamsWorkflowSim {
  readonly posts: SimTeamsPost[] = [];
  readonly faults = { fail5xx: 0, throttle429: 0, retryAfterS: 5 };
  private readonly secret = randomBytes(16);
  private server: Server | undefined;
  url = '';

  constructor(private readonly clock: () => Date = () => new Date()) {}

  private sig(name: string): string {
    return createHmac('sha256', this.secret).update(name).digest('base64url');
  }

  /** The trigger URL of a workflow, in the shape Power Automate hands out (an SAS-signed URL). */
  workflowUrl(name: string): string {
    return (
      `${this.url}/workflows/${encodeURIComponent(name)}/triggers/manual/paths/invoke` +
      `?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${this.sig(name)}`
    );
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
    this.url = await listenOnLoopback(this.server, port);
    return this.url;
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }

  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const fail = (
      status: number,
      code: string,
      message: string,
      headers: Record<string, string> = {},
    ): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ error: { code, message } }));
    };
    const m = /^\/workflows\/([^/]+)\/triggers\/manual\/paths\/invoke$/.exec(url.pathname);
    if (!m || req.method !== 'POST') {
      fail(404, 'NotFound', `no workflow trigger at ${req.method ?? ''} ${url.pathname}`);
      return;
    }
    const name = decodeURIComponent(m[1] ?? '');
    const given = Buffer.from(url.searchParams.get('sig') ?? '');
    const expected = Buffer.from(this.sig(name));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      fail(401, 'DirectApiAuthorizationRequired', 'The request must be authenticated (sig).');
      return;
    }
    if (this.faults.fail5xx > 0) {
      this.faults.fail5xx--;
      fail(502, 'BadGateway', 'Injected failure.');
      return;
    }
    if (this.faults.throttle429 > 0) {
      this.faults.throttle429--;
      fail(429, 'TooManyRequests', 'Injected throttling.', {
        'retry-after': String(this.faults.retryAfterS),
      });
      return;
    }
    if (body.length > TEAMS_SIM_MAX_BYTES) {
      fail(413, 'RequestEntityTooLarge', `Request Entity too large (${body.length} bytes)`);
      return;
    }
    let message: { type?: unknown; attachments?: unknown };
    try {
      message = JSON.parse(body.toString('utf8')) as typeof message;
    } catch {
      fail(400, 'InvalidRequestContent', 'The body is not JSON.');
      return;
    }
    if (
      message.type !== 'message' ||
      !Array.isArray(message.attachments) ||
      message.attachments.length === 0
    ) {
      fail(400, 'InvalidRequestContent', 'Expected { "type": "message", "attachments": [ … ] }.');
      return;
    }
    const cards: Record<string, unknown>[] = [];
    for (const a of message.attachments as { contentType?: unknown; content?: unknown }[]) {
      const content = a.content as { type?: unknown } | undefined;
      if (a.contentType !== 'application/vnd.microsoft.card.adaptive' || content?.type !== 'AdaptiveCard') {
        fail(400, 'InvalidRequestContent', 'Only Adaptive Card attachments are supported.');
        return;
      }
      cards.push(content);
    }
    this.posts.push({ workflow: name, cards, at: this.clock().toISOString() });
    res.writeHead(202).end();
  }
}
