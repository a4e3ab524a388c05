import type { Notice, NoticeAction, NoticeKind } from '../../domain/notice';

/** The short heading above each notice's title: what kind of news it is, in words. */
export const HEADINGS: Readonly<Record<NoticeKind, string>> = {
  'approval-requested': 'Approval needed',
  'approval-reminder': 'Reminder: approval needed',
  'approval-escalated': 'Escalated: approval needed',
  'plan-approved': 'Upgrade approved',
  'plan-rejected': 'Upgrade rejected',
  'approval-expired': 'Approval expired',
  'plan-scheduled': 'Upgrade scheduled',
  'plan-started': 'Upgrade started',
  'pool-succeeded': 'Node pool upgraded',
  'pool-failed': 'Node pool upgrade failed',
  'plan-succeeded': 'Upgrade finished',
  'plan-failed': 'Upgrade failed',
  'plan-blocked': 'Upgrade blocked',
  'plan-cancelled': 'Upgrade cancelled',
  'support-ending': 'Kubernetes support ending',
  'support-ended': 'Kubernetes support ended',
  'aks-advance-notice': 'AKS maintenance ahead',
  'auto-upgrade-conflict': 'Auto-upgrade bypasses approval',
  'fleet-run-stopped': 'Fleet update run held back',
  'upgraded-outside-warden': 'Upgraded outside Warden',
  'daily-digest': 'Daily digest',
  'notice-batch': 'Upgrade updates',
};

/** A line saying what the reader is expected to do, when there is something to do. */
export const CALLS_TO_ACTION: Readonly<Partial<Record<NoticeKind, string>>> = {
  'approval-requested': 'Open the plan to approve or reject it. Nothing runs until you decide.',
  'approval-reminder': 'Still waiting for a decision. Open the plan to approve or reject it.',
  'approval-escalated': 'The on-call list has not answered. Open the plan to approve or reject it.',
  'pool-failed': 'The plan has stopped. Check the reason below before retrying.',
  'plan-failed': 'The plan has stopped. Check the reason below.',
  'plan-blocked': 'The plan cannot go on until the blocker below is resolved.',
  'support-ended': 'This cluster runs an unsupported version. Plan an upgrade now.',
  // Whether Defer is possible (and what it blocks) is the notice's own summary: some clusters have no
  // maintenance configuration to block a day in.
  'aks-advance-notice': 'AKS will act on its own schedule, not after an approval.',
  'auto-upgrade-conflict': 'Turn AKS auto-upgrade off on this cluster, or Warden cannot gate it.',
  'upgraded-outside-warden': 'Find who or what upgraded it, and close that path (the cluster lists them).',
};

export const SEVERITY_LABEL: Readonly<Record<Notice['severity'], string>> = {
  info: 'Info',
  warning: 'Warning',
  critical: 'Critical',
};

/** The subject of an email and the first line everywhere: "[Warden] <title>", sortable in an inbox. */
export function subjectOf(notice: Notice): string {
  return `[Warden] ${oneLine(notice.title)}`;
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Only http(s) links are rendered; anything else (javascript:, data:) is dropped. */
export function safeActions(actions: readonly NoticeAction[]): NoticeAction[] {
  return actions.filter((a) => {
    try {
      const u = new URL(a.url);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  });
}

/** Wraps text at word boundaries for a narrow screen (plain-text email). */
export function wrap(text: string, width = 72): string {
  return text
    .split('\n')
    .map((para) => {
      const words = para.split(/ +/);
      const lines: string[] = [];
      let line = '';
      for (const w of words) {
        if (line !== '' && line.length + 1 + w.length > width) {
          lines.push(line);
          line = w;
        } else line = line === '' ? w : `${line} ${w}`;
      }
      lines.push(line);
      return lines.join('\n');
    })
    .join('\n');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `25 Nov 2026 09:00 UTC`: the notice time as a person reads it (the ISO form stays in the CloudEvent). */
export function formatAt(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} ${hh}:${mm} UTC`;
}
