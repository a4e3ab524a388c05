import { gatePlace } from '../domain/fleetGate';
import type { Plan } from '../domain/plan';
import type { Html } from './html';
import { html } from './html';

/**
 * What a Fleet gate plan's approval page adds: the fleet, the update run and where the gate sits, and
 * each member behind the gate with its ring, version, whether its region offers the target version
 * (Fleet would fail a member whose region lacks it) and its pre-flight verdict. Empty for other plans.
 */
export function fleetGateSection(plan: Plan): Html {
  const g = plan.fleetGate;
  if (g === undefined) return html``;
  const region = (v: boolean | undefined): string => (v === undefined ? 'unknown' : v ? 'yes' : 'NO');
  return html`<h2>Fleet Manager gate</h2>
    <p id="fleet-gate">
      Fleet <b>${g.fleetName}</b>, update run <b>${g.target.runName}</b>, gate
      "${g.displayName || g.gateName}" ${gatePlace(g.target)}:
      ${g.upgradeType}${g.kubernetesVersion !== undefined ? ` to ${g.kubernetesVersion}` : ''}, node images
      ${g.nodeImageSelection}. Approving sets the gate to Completed; rejecting
      ${g.onReject === 'skip' && g.target.timing === 'Before' ? 'skips what the gate holds' : 'stops the run'}.
    </p>
    <table id="fleet-members">
      <tr>
        <th>Member</th>
        <td><b>Ring</b></td>
        <td><b>Version</b></td>
        <td><b>Offered in region</b></td>
        <td><b>Pre-flight</b></td>
      </tr>
      ${g.members.map(
        (m) =>
          html`<tr>
            <th>${m.name}</th>
            <td>${m.ring ?? 'unknown'}</td>
            <td>${m.kubernetesVersion ?? '?'}</td>
            <td>${region(m.versionInRegion)}${m.location !== undefined ? ` (${m.location})` : ''}</td>
            <td>
              ${
                m.preflight === undefined
                  ? html`<span class="muted">none yet</span>`
                  : html`${m.preflight.verdict}${m.preflight.notPassed.length > 0 ? ` (${m.preflight.notPassed.join(', ')})` : ''}`
              }
            </td>
          </tr>`,
      )}
    </table>`;
}
