import { resolve } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

import type { Notice } from '../../shared/domain/notice';
import type { AdaptiveCard } from '../../shared/notify/templates/teamsCard';
import { renderTeamsMessage } from '../../shared/notify/templates/teamsCard';
import { ALL_NOTICE_KINDS, sampleNotice } from '../helpers/notices';

/** Text an attacker can get into a notice: an approver's comment, a cancel reason, AKS's eventDetails. */
const HOSTILE = [
  '[Approve the fixed plan here](https://evil.example/phish)',
  '<https://evil.example/autolink>',
  '![pixel](https://evil.example/pixel.png)',
  '<a href="https://evil.example/html">click</a>',
  '[ref link][1]\n\n[1]: https://evil.example/ref',
  '**bold** _em_ ~~gone~~ `code`',
  '# Heading\n- list item\n1. numbered\n> quote',
  '| a | b |\n| - | - |\n| [t](https://evil.example/table) | x |',
];

interface Rendered {
  readonly anchors: string[];
  readonly images: string[];
  readonly buttons: number;
  readonly text: string;
  readonly parseEvents: string[];
}

function hostileNotice(kind: Notice['kind'], text: string): Notice {
  const base = sampleNotice(kind);
  return {
    ...base,
    title: `${base.title} ${text}`,
    summary: `${base.summary}\n${text}`,
    facts: [...base.facts, { label: `Comment ${text}`, value: text }],
  };
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  page = await browser.newPage();
  await page.setContent('<!doctype html><html><body><div id="root"></div></body></html>');
  // The renderer Microsoft publishes, with the markdown processor it uses when the page has one.
  await page.addScriptTag({
    path: resolve(__dirname, '../../node_modules/markdown-it/dist/browser/markdown-it.umd.min.js'),
  });
  await page.addScriptTag({
    path: resolve(__dirname, '../../node_modules/adaptivecards/dist/adaptivecards.js'),
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** Runs in the page: parses and renders one card with adaptivecards, and reports what it made. */
const RENDER_IN_PAGE = `(json) => {
  const context = new AdaptiveCards.SerializationContext();
  const card = new AdaptiveCards.AdaptiveCard();
  card.parse(json, context);
  const root = document.getElementById('root');
  root.innerHTML = '';
  const element = card.render();
  if (element === undefined) throw new Error('the card did not render');
  root.appendChild(element);
  return {
    anchors: [...element.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? a.outerHTML),
    images: [...element.querySelectorAll('img')].map((i) => i.getAttribute('src') ?? ''),
    buttons: element.querySelectorAll('button').length,
    text: element.innerText,
    parseEvents: Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message),
  };
}`;

/** Renders a card with adaptivecards' own renderer in Chromium, as HTML. */
function render(card: AdaptiveCard): Promise<Rendered> {
  return page.evaluate<Rendered>(`(${RENDER_IN_PAGE})(${JSON.stringify(card)})`);
}

describe('Teams cards through the Adaptive Cards renderer: links only in the card’s own actions', () => {
  const cases = ALL_NOTICE_KINDS.flatMap((kind) => HOSTILE.map((text, i) => [kind, i, text] as const));

  test.each(cases)('%s with hostile text #%d', async (kind, _i, text) => {
    const card = renderTeamsMessage(hostileNotice(kind, text)).attachments[0]!.content;
    const rendered = await render(card);
    expect(rendered.parseEvents).toEqual([]);
    expect(rendered.anchors).toEqual([]);
    expect(rendered.images).toEqual([]);
    expect(rendered.buttons).toBe(card.actions?.length ?? 0);
    // What the sender typed is shown as typed, not turned into formatting.
    expect(rendered.text).toContain(text.split('\n')[0]!.replace(/\s+/g, ' '));
  });

  test('the renderer does turn markdown into links when it is not escaped (the test can fail)', async () => {
    const card: AdaptiveCard = {
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.5',
      body: [{ type: 'TextBlock', text: HOSTILE[0]!, wrap: true }],
    };
    expect((await render(card)).anchors).toEqual(['https://evil.example/phish']);
  });
});
