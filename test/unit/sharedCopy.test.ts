import type { NoticeKind } from '../../shared/domain/notice';
import { sharedCopy } from '../../shared/notify/notifier';
import { withPageLinks } from '../../shared/notify/pageLinks';
import { PROD_CLUSTER, sampleNotice } from '../helpers/notices';

const BASE = 'https://warden.example';
const PAGES = [
  { label: 'Open the plan', url: `${BASE}/api/plans/p-123` },
  { label: 'Open prod-weu-1', url: `${BASE}/api/clusters${PROD_CLUSTER.id}` },
];

const HINT = 'with the personal link each approver got by email';

describe('sharedCopy: the one Teams / webhook copy of a personal notice', () => {
  test.each<NoticeKind>(['approval-requested', 'aks-advance-notice', 'plan-blocked'])(
    '%s: no personal link, the plan and cluster pages, and a line saying where the personal links went',
    (kind) => {
      // A Defer link (aks-advance-notice), a force-upgrade link (plan-blocked) and an approval link
      // all go to each approver personally; the channel copy must say how to act without them.
      const personal = sampleNotice(kind, {
        recipient: 'alice@contoso.example',
        actions: [{ label: 'Act', url: 'https://warden.example/api/x?token=alice' }],
      });
      const shared = sharedCopy(personal, 'https://warden.example');
      expect(shared.recipient).toBeUndefined();
      expect(shared.actions).toEqual(PAGES);
      expect(shared.facts).toContainEqual({ label: 'Decide', value: HINT });
      expect(JSON.stringify(shared)).not.toContain('token=');
    },
  );

  test('a notice without a recipient gets no such line', () => {
    const shared = sharedCopy(sampleNotice('approval-expired'), 'https://warden.example');
    expect(shared.facts).not.toContainEqual({ label: 'Decide', value: HINT });
  });
});

describe('withPageLinks: every notice leads to the page that says what now', () => {
  test('after the notice’s own links, once, however often it is applied', () => {
    const own = { label: 'Review and decide', url: `${BASE}/api/approvals/p-123?token=t` };
    const once = withPageLinks(sampleNotice('approval-requested', { actions: [own] }), BASE);
    expect(once.actions).toEqual([own, ...PAGES]);
    expect(withPageLinks(once, BASE).actions).toEqual(once.actions);
  });

  test('a notice about neither a plan nor a cluster links the dashboard', () => {
    const { cluster: _c, planId: _p, ...fleet } = sampleNotice('daily-digest', { actions: [] });
    expect(withPageLinks(fleet, BASE).actions).toEqual([
      { label: 'Open Warden', url: `${BASE}/api/dashboard` },
    ]);
  });
});
