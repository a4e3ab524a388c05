import type { NoticeKind } from '../../shared/domain/notice';
import { sharedCopy } from '../../shared/notify/notifier';
import { sampleNotice } from '../helpers/notices';

const HINT = 'with the personal link each approver got by email';

describe('sharedCopy: the one Teams / webhook copy of a personal notice', () => {
  test.each<NoticeKind>(['approval-requested', 'aks-advance-notice', 'plan-blocked'])(
    '%s: no personal link, an Open Warden link, and a line saying where the personal links went',
    (kind) => {
      // A Defer link (aks-advance-notice), a force-upgrade link (plan-blocked) and an approval link
      // all go to each approver personally; the channel copy must say how to act without them.
      const personal = sampleNotice(kind, {
        recipient: 'alice@contoso.example',
        actions: [{ label: 'Act', url: 'https://warden.example/api/x?token=alice' }],
      });
      const shared = sharedCopy(personal, 'https://warden.example');
      expect(shared.recipient).toBeUndefined();
      expect(shared.actions).toEqual([{ label: 'Open Warden', url: 'https://warden.example/api/dashboard' }]);
      expect(shared.facts).toContainEqual({ label: 'Decide', value: HINT });
      expect(JSON.stringify(shared)).not.toContain('token=');
    },
  );

  test('a notice without a recipient gets no such line', () => {
    const shared = sharedCopy(sampleNotice('approval-expired'), 'https://warden.example');
    expect(shared.facts).not.toContainEqual({ label: 'Decide', value: HINT });
  });
});
