import type { Notice } from '../../shared/domain/notice';
import { renderCloudEvent, signWebhook, verifyWebhook } from '../../shared/notify/templates/cloudEvent';
import { renderEmail } from '../../shared/notify/templates/email';
import type { AdaptiveCard } from '../../shared/notify/templates/teamsCard';
import { messageBytes, renderTeamsMessage, TEAMS_MAX_BYTES } from '../../shared/notify/templates/teamsCard';
import { ALL_NOTICE_KINDS, sampleNotice } from '../helpers/notices';

// The renderer's UMD build loads under Node (its ES-module entry does not); see notes/toolchain.md §7.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: { message: string }[] };
  };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } };
};

/** Problems the Adaptive Cards renderer reports for a card (unknown types, missing required properties). */
function schemaProblems(card: unknown): string[] {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  problems.push(...parsed.validateProperties().validationEvents.map((e) => e.message));
  return problems;
}

/** Teams-specific rules on top of the schema: version ≤ 1.5, only Action.OpenUrl, anywhere in the card. */
function teamsProblems(card: AdaptiveCard): string[] {
  const problems: string[] = [];
  const [major, minor] = card.version.split('.').map(Number);
  if ((major ?? 9) > 1 || (minor ?? 9) > 5) problems.push(`version ${card.version} is above 1.5`);
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const type = (value as { type?: unknown }).type;
      if (typeof type === 'string' && type.startsWith('Action.') && type !== 'Action.OpenUrl')
        problems.push(`${type} is not allowed in a Workflows card`);
      Object.values(value).forEach(walk);
    }
  };
  walk(card);
  return problems;
}

const bigNotice = (kind: Notice['kind']): Notice =>
  sampleNotice(kind, {
    summary: 'A long summary. '.repeat(400),
    facts: Array.from({ length: 400 }, (_, i) => ({
      label: `cluster-${i}`,
      value: `1.29.${i % 10} → 1.30.3, 3 pools, 2 findings`,
    })),
  });

describe('Teams cards', () => {
  it.each(ALL_NOTICE_KINDS)('%s renders a schema-valid card Teams accepts', (kind) => {
    const message = renderTeamsMessage(sampleNotice(kind));
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    const card = message.attachments[0]?.content;
    expect(card).toBeDefined();
    if (!card) return;
    expect(schemaProblems(card)).toEqual([]);
    expect(teamsProblems(card)).toEqual([]);
    expect(messageBytes(message)).toBeLessThan(TEAMS_MAX_BYTES);
    expect(JSON.stringify(card)).toContain('prod-weu-1');
  });

  it.each(ALL_NOTICE_KINDS)('%s stays under 28 KB with hundreds of facts, keeping its links', (kind) => {
    const notice = bigNotice(kind);
    const message = renderTeamsMessage(notice);
    const card = message.attachments[0]?.content;
    expect(messageBytes(message)).toBeLessThan(TEAMS_MAX_BYTES);
    expect(card && schemaProblems(card)).toEqual([]);
    const urls = (card?.actions ?? []).map((a) => a.url);
    expect(urls).toEqual(notice.actions.map((a) => a.url));
    expect(JSON.stringify(card)).toMatch(/more lines: open the link/);
  });

  it('renders approval buttons as Action.OpenUrl with their style, and drops non-http links', () => {
    const notice = sampleNotice('approval-requested', {
      actions: [
        {
          label: 'Review and approve',
          url: 'https://warden.example/api/approvals/p-1?token=t',
          style: 'positive',
        },
        { label: 'Sneaky', url: 'javascript:alert(1)' },
      ],
    });
    const card = renderTeamsMessage(notice).attachments[0]?.content;
    expect(card?.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Review and approve',
        url: 'https://warden.example/api/approvals/p-1?token=t',
        style: 'positive',
      },
    ]);
  });
});

describe('emails', () => {
  it.each(ALL_NOTICE_KINDS)('%s renders a subject, plain text and phone-sized HTML', (kind) => {
    const notice = sampleNotice(kind);
    const email = renderEmail(notice);
    expect(email.subject).toBe(`[Warden] ${notice.title}`);
    expect(email.plainText).toContain(notice.title);
    for (const a of notice.actions) {
      expect(email.plainText).toContain(a.url);
      expect(email.html).toContain(`href="${a.url.replace(/&/g, '&amp;')}"`);
    }
    expect(email.html).toContain('name="viewport"');
    expect(email.html).toContain('max-width:560px');
    expect(email.html).not.toMatch(/<table/i);
    const longest = Math.max(...email.plainText.split('\n').map((l) => (/^https?:/.test(l) ? 0 : l.length)));
    expect(longest).toBeLessThanOrEqual(100);
  });

  it('escapes what it is given', () => {
    const email = renderEmail(
      sampleNotice('plan-failed', {
        title: 'prod <script>alert(1)</script>',
        facts: [{ label: 'Reason', value: '<img src=x onerror=alert(1)>' }],
      }),
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain('&lt;script&gt;');
  });

  it('an AKS advance notice with nothing to defer does not tell the reader to defer it', () => {
    // No maintenance configuration to block a day in: deferUpgrade sends this without a Defer link.
    const notice = sampleNotice('aks-advance-notice', {
      summary:
        "AKS will run this on a gated cluster without Warden's approval (ring production). There is no maintenance configuration to add a blackout day to: turn AKS auto-upgrade off or add a window.",
      actions: [],
    });
    const email = renderEmail(notice);
    expect(email.plainText).not.toMatch(/Defer it/);
    expect(JSON.stringify(renderTeamsMessage(notice))).not.toMatch(/Defer it/);
    expect(email.plainText).toMatch(/AKS will act on its own schedule/);
  });

  it('tells the approver the links are personal', () => {
    const email = renderEmail(sampleNotice('approval-requested', { recipient: 'a@contoso.example' }));
    expect(email.plainText).toMatch(/personal to you/);
  });
});

describe('CloudEvents for the outbound webhook', () => {
  it.each(ALL_NOTICE_KINDS)('%s becomes a CloudEvents 1.0 event of type warden.<kind>', (kind) => {
    const event = renderCloudEvent(sampleNotice(kind), 'id-1', 'https://warden.example/api/notifications');
    expect(event).toMatchObject({
      specversion: '1.0',
      id: 'id-1',
      type: `warden.${kind}`,
      source: 'https://warden.example/api/notifications',
      datacontenttype: 'application/json',
      time: '2026-11-25T09:00:00.000Z',
    });
    expect(event.subject).toMatch(/managedClusters\/prod-weu-1$/);
  });

  it('keeps personal approval links out of the webhook', () => {
    const event = renderCloudEvent(
      sampleNotice('approval-requested', { recipient: 'a@contoso.example' }),
      'i',
      's',
    );
    expect(event.data.actions).toEqual([]);
  });

  it('signs the body so a receiver can check it, and refuses a changed body or an old timestamp', () => {
    const now = new Date('2026-11-25T09:00:00Z');
    const body = JSON.stringify(renderCloudEvent(sampleNotice('plan-started'), 'i', 's'));
    const header = signWebhook('a-very-long-secret-value', body, now);
    expect(verifyWebhook('a-very-long-secret-value', body, header, now)).toBe(true);
    expect(verifyWebhook('a-very-long-secret-value', body.replace('started', 'stopped'), header, now)).toBe(
      false,
    );
    expect(verifyWebhook('another-secret-value!!', body, header, now)).toBe(false);
    expect(verifyWebhook('a-very-long-secret-value', body, header, new Date(now.getTime() + 600_000))).toBe(
      false,
    );
  });
});
