import type { Notice } from '../../domain/notice';
import {
  CALLS_TO_ACTION,
  formatAt,
  HEADINGS,
  oneLine,
  safeActions,
  SEVERITY_LABEL,
  subjectOf,
  wrap,
} from './common';

/** An email as ACS takes it: the subject, a plain-text part and an HTML part. */
export interface RenderedEmail {
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const COLORS: Readonly<Record<Notice['severity'], string>> = {
  info: '#0b5cad',
  warning: '#8a5300',
  critical: '#b00020',
};

const BUTTON: Readonly<Record<'default' | 'positive' | 'destructive', string>> = {
  default: '#0b5cad',
  positive: '#107c10',
  destructive: '#b00020',
};

function plainText(notice: Notice): string {
  const lines: string[] = [
    `${HEADINGS[notice.kind]} (${SEVERITY_LABEL[notice.severity]})`,
    oneLine(notice.title),
    '',
    wrap(notice.summary.trim()),
  ];
  const cta = CALLS_TO_ACTION[notice.kind];
  if (cta !== undefined) lines.push('', wrap(cta));
  if (notice.facts.length > 0) {
    lines.push('');
    // Wrapped, continuation lines indented, so a long value stays readable on a narrow screen.
    for (const f of notice.facts)
      lines.push(wrap(`${oneLine(f.label)}: ${oneLine(f.value)}`, 72).replace(/\n/g, '\n  '));
  }
  const actions = safeActions(notice.actions);
  if (actions.length > 0) {
    lines.push('');
    // Each link on a line of its own, so phones make the whole URL tappable.
    for (const a of actions) lines.push(`${oneLine(a.label)}:`, a.url, '');
  } else lines.push('');
  lines.push(`Sent by AKS Upgrade Warden, ${formatAt(notice.at)}.`);
  if (notice.recipient !== undefined)
    lines.push('These links are personal to you: do not forward this email.');
  return lines.join('\n');
}

function html(notice: Notice): string {
  const e = escapeHtml;
  const color = COLORS[notice.severity];
  const cta = CALLS_TO_ACTION[notice.kind];
  const facts = notice.facts
    .map(
      (f) =>
        `<p style="margin:0 0 12px 0"><span style="color:#555;font-size:14px">${e(oneLine(f.label))}</span><br>` +
        `<strong style="font-size:16px">${e(oneLine(f.value))}</strong></p>`,
    )
    .join('');
  // Buttons are plain links (mail scanners may open them: the page they lead to changes nothing on GET).
  const buttons = safeActions(notice.actions)
    .map(
      (a) =>
        `<p style="margin:0 0 12px 0"><a href="${e(a.url)}" style="display:block;padding:14px 18px;` +
        `background:${BUTTON[a.style ?? 'default']};color:#ffffff;text-decoration:none;border-radius:6px;` +
        `font-size:17px;font-weight:bold;text-align:center">${e(oneLine(a.label))}</a></p>`,
    )
    .join('');
  const summary = notice.summary
    .trim()
    .split(/\n{2,}/)
    .map((p) => `<p style="margin:0 0 14px 0">${e(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(subjectOf(notice))}</title></head>`,
    '<body style="margin:0;padding:0;background:#f4f4f4">',
    '<div style="max-width:560px;margin:0 auto;padding:16px;font-family:Segoe UI,Helvetica,Arial,sans-serif;',
    'font-size:16px;line-height:1.45;color:#1b1b1b;background:#ffffff">',
    `<p style="margin:0 0 4px 0;color:${color};font-size:14px;font-weight:bold;text-transform:uppercase">`,
    `${e(HEADINGS[notice.kind])} · ${e(SEVERITY_LABEL[notice.severity])}</p>`,
    `<h1 style="margin:0 0 14px 0;font-size:21px;line-height:1.3">${e(oneLine(notice.title))}</h1>`,
    summary,
    cta !== undefined ? `<p style="margin:0 0 14px 0"><strong>${e(cta)}</strong></p>` : '',
    facts,
    buttons,
    `<p style="margin:18px 0 0 0;color:#666;font-size:13px">Sent by AKS Upgrade Warden, ${e(formatAt(notice.at))}.`,
    notice.recipient !== undefined ? ' These links are personal to you: do not forward this email.' : '',
    '</p></div></body></html>',
  ].join('\n');
}

/** Renders a notice as an email: subject "[Warden] <title>", text and HTML readable on a phone. */
export function renderEmail(notice: Notice): RenderedEmail {
  return { subject: subjectOf(notice), plainText: plainText(notice), html: html(notice) };
}
