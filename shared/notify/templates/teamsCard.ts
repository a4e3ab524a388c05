import type { Notice } from '../../domain/notice';
import { CALLS_TO_ACTION, formatAt, HEADINGS, oneLine, safeActions, SEVERITY_LABEL } from './common';

/**
 * Teams (Workflows "Post to a channel when a webhook request is received") limits: Adaptive Card
 * version 1.5 at most, `Action.OpenUrl` only (`Action.Submit` is unsupported, `Action.Execute`
 * needs a bot), and the message under about 28 KB (docs/design/azure-platform.md §1).
 */
export const TEAMS_CARD_VERSION = '1.5';
export const TEAMS_MAX_BYTES = 28 * 1024;
/** What Warden aims below, leaving room for the workflow's own envelope. */
const TARGET_BYTES = 26 * 1024;

export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: string;
  readonly version: string;
  readonly body: readonly Record<string, unknown>[];
  readonly actions?: readonly Record<string, unknown>[];
}

/** The body a Workflows webhook takes: a message with the card as its one attachment. */
export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    readonly contentType: 'application/vnd.microsoft.card.adaptive';
    readonly contentUrl: null;
    readonly content: AdaptiveCard;
  }[];
}

/** Characters the TextBlock markdown subset gives a meaning anywhere in a line (links, emphasis, code, tables, HTML). */
const INLINE_MARKDOWN = /[\\`*_~[\]()<>|]/g;
/** What starts a heading, quote, list item or setext underline at the start of a line. */
const LINE_MARKER = /^(\s*)(?:([#>+=-])|(\d+)([.)]))/;

/**
 * Text from data (names, titles, comments, reasons, AKS's `eventDetails`) as a TextBlock or Fact
 * shows it: every markdown construct backslash-escaped, so `[x](https://…)` reads as typed and makes no
 * link. A card's only links are its own `Action.OpenUrl` actions.
 */
export function escapeMarkdown(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(INLINE_MARKDOWN, '\\$&')
        .replace(LINE_MARKER, (_m, space: string, marker?: string, digits?: string, dot?: string) =>
          marker !== undefined ? `${space}\\${marker}` : `${space}${digits ?? ''}\\${dot ?? ''}`,
        ),
    )
    .join('\n');
}

/**
 * The heading's colour. Teams' light theme draws `Warning` as yellow on white (#f8d22a), which few can
 * read, so a warning heading keeps the default colour and says "Warning" in words.
 */
const COLOR: Readonly<Record<Notice['severity'], string>> = {
  info: 'Accent',
  warning: 'Default',
  critical: 'Attention',
};

function card(notice: Notice): AdaptiveCard {
  const cta = CALLS_TO_ACTION[notice.kind];
  const actions = safeActions(notice.actions).slice(0, 6);
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: `${HEADINGS[notice.kind]} · ${SEVERITY_LABEL[notice.severity]}`,
      size: 'Small',
      weight: 'Bolder',
      color: COLOR[notice.severity],
      wrap: true,
    },
    {
      type: 'TextBlock',
      text: escapeMarkdown(oneLine(notice.title)),
      size: 'Large',
      weight: 'Bolder',
      wrap: true,
    },
    // Teams markdown joins single line breaks; a blank line keeps them apart.
    { type: 'TextBlock', text: escapeMarkdown(notice.summary.trim().replace(/\n+/g, '\n\n')), wrap: true },
  ];
  if (cta !== undefined) body.push({ type: 'TextBlock', text: cta, wrap: true, weight: 'Bolder' });
  // A FactSet stacks label and value in two narrow columns; it stays readable on a phone.
  if (notice.facts.length > 0)
    body.push({
      type: 'FactSet',
      facts: notice.facts.map((f) => ({
        title: escapeMarkdown(oneLine(f.label)),
        value: escapeMarkdown(oneLine(f.value)),
      })),
    });
  body.push({
    type: 'TextBlock',
    text: `AKS Upgrade Warden · ${formatAt(notice.at)}`,
    size: 'Small',
    isSubtle: true,
    wrap: true,
  });
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: TEAMS_CARD_VERSION,
    body,
    ...(actions.length > 0 && {
      actions: actions.map((a) => ({
        type: 'Action.OpenUrl',
        title: oneLine(a.label),
        url: a.url,
        ...(a.style !== undefined && a.style !== 'default' && { style: a.style }),
      })),
    }),
  };
}

export function teamsMessage(content: AdaptiveCard): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
  };
}

export function messageBytes(message: TeamsMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}

/**
 * Renders a notice as a Teams card message. A notice too big for Teams loses facts (then its summary
 * is shortened) until the message fits, with a line saying so; the links always survive.
 */
export function renderTeamsMessage(notice: Notice): TeamsMessage {
  let n = notice;
  let message = teamsMessage(card(n));
  let dropped = 0;
  while (messageBytes(message) > TARGET_BYTES && n.facts.length > 0) {
    const keep = Math.floor(n.facts.length / 2);
    dropped += n.facts.length - keep;
    n = { ...n, facts: n.facts.slice(0, keep) };
    message = teamsMessage(card(n));
  }
  if (messageBytes(message) > TARGET_BYTES) {
    n = { ...n, summary: `${n.summary.slice(0, 2000)}…` };
    message = teamsMessage(card(n));
  }
  if (dropped > 0) {
    n = {
      ...n,
      facts: [...n.facts, { label: 'More', value: `${dropped} more lines: open the link for all of them` }],
    };
    message = teamsMessage(card(n));
  }
  return message;
}
