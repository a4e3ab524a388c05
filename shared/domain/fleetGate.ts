import type { PreflightVerdict } from './preflight';
import type { Ring } from './rings';
import { RINGS } from './rings';

/**
 * Azure Kubernetes Fleet Manager approval gates (api-version 2026-06-01), as Warden decides them:
 * the gate resource and its events, the update run behind it, and what Warden sends back. The wire
 * facts are in docs/design/azure-fleet.md; the published payloads in test/fixtures (events/FleetGate*,
 * arm/fleet/).
 *
 * Fleet's own gates have no quorum, no named approvers, no expiry and no reject: a gate is `Pending`
 * until someone PATCHes it `Completed`. Warden becomes that someone, after its own approval; a reject
 * or an expiry stops the run (or skips the stage or group behind the gate), since Fleet has no such state.
 */

/** The three event types of the `Microsoft.ResourceNotifications.AKSResources` system topic (compare without case). */
export const FLEET_GATE_EVENT_TYPES = {
  FleetGateCreated: 'Microsoft.ResourceNotifications.AKSResources.FleetGateCreated',
  FleetGateUpdated: 'Microsoft.ResourceNotifications.AKSResources.FleetGateUpdated',
  FleetGateDeleted: 'Microsoft.ResourceNotifications.AKSResources.FleetGateDeleted',
} as const;

export type FleetGateEventKind = keyof typeof FLEET_GATE_EVENT_TYPES;

/** A fleet resource; `key` is lower-case `fleet:sub:rg:name`, apart from any cluster's key. */
export interface FleetRef {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly key: string;
}

const FLEET_ID =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/fleets\/([^/]+)(\/.*)?$/i;

/** The fleet of a fleet id or of any of its children (`…/gates/{g}`, `…/updateRuns/{r}`). */
export function parseFleetId(text: string): FleetRef | undefined {
  const m = FLEET_ID.exec(text.trim());
  if (!m) return undefined;
  const [, subscriptionId = '', resourceGroup = '', name = ''] = m;
  if (/[\\#?]/.test(subscriptionId + resourceGroup + name)) return undefined;
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/fleets/${name}`,
    subscriptionId,
    resourceGroup,
    name,
    key: `fleet:${subscriptionId}:${resourceGroup}:${name}`.toLowerCase(),
  };
}

/** What a gate controls: a stage or a group of one update run, before or after it. */
export interface GateTarget {
  readonly runId: string;
  readonly runName: string;
  readonly stage: string;
  readonly group?: string;
  readonly timing: 'Before' | 'After';
}

export interface FleetGate {
  readonly id: string;
  readonly name: string;
  readonly fleet: FleetRef;
  readonly displayName: string;
  readonly gateType: string;
  /** `Pending` (waiting) or `Completed` (approval applied). */
  readonly state: string;
  readonly provisioningState?: string;
  /** From an ARM read; events carry none. */
  readonly eTag?: string;
  readonly target: GateTarget;
}

type Result<T> = { ok: true; value: T } | { ok: false; problem: string };
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * A gate from an event's `data.resourceInfo` or an ARM gate body (same shape: `id`, `name`, `type`,
 * `properties { displayName, gateType, state, provisioningState, target }`), or what is wrong with it.
 */
export function decodeFleetGate(raw: unknown, where = 'data.resourceInfo'): Result<FleetGate> {
  if (!isObj(raw)) return { ok: false, problem: `${where} must be an object` };
  const id = str(raw.id);
  const fleet = id === undefined ? undefined : parseFleetId(id);
  if (id === undefined || fleet === undefined || !/\/gates\/[^/]+$/i.test(id))
    return { ok: false, problem: `${where}.id must be a Fleet gate id (…/fleets/{fleet}/gates/{gate})` };
  const type = str(raw.type);
  if (type !== undefined && type.toLowerCase() !== 'microsoft.containerservice/fleets/gates')
    return {
      ok: false,
      problem: `${where}.type must be Microsoft.ContainerService/fleets/gates, got ${type}`,
    };
  const p = raw.properties;
  if (!isObj(p)) return { ok: false, problem: `${where}.properties must be an object` };
  const gateType = str(p.gateType);
  const state = str(p.state);
  if (gateType === undefined) return { ok: false, problem: `${where}.properties.gateType must be a string` };
  if (state === undefined) return { ok: false, problem: `${where}.properties.state must be a string` };
  const t = p.target;
  const runId = isObj(t) ? str(t.id) : undefined;
  const u = isObj(t) && isObj(t.updateRunProperties) ? t.updateRunProperties : undefined;
  if (runId === undefined || u === undefined)
    return { ok: false, problem: `${where}.properties.target must carry id and updateRunProperties` };
  const stage = str(u.stage);
  const timing = str(u.timing);
  const runName = str(u.name) ?? runId.split('/').at(-1) ?? '';
  if (stage === undefined)
    return { ok: false, problem: `${where}.properties.target.updateRunProperties.stage must be a string` };
  if (timing !== 'Before' && timing !== 'After')
    return {
      ok: false,
      problem: `${where}.properties.target.updateRunProperties.timing must be Before or After`,
    };
  const group = str(u.group);
  const provisioningState = str(p.provisioningState);
  const eTag = str(raw.eTag);
  return {
    ok: true,
    value: {
      id,
      name: str(raw.name) ?? id.split('/').at(-1) ?? '',
      fleet,
      displayName: str(p.displayName) ?? '',
      gateType,
      state,
      ...(provisioningState !== undefined && { provisioningState }),
      ...(eTag !== undefined && { eTag }),
      target: { runId, runName, stage, ...(group !== undefined && { group }), timing },
    },
  };
}

/** Only an `Approval` gate in `Pending` asks for a decision. */
export function asksForDecision(gate: Pick<FleetGate, 'gateType' | 'state'>): boolean {
  return gate.gateType.toLowerCase() === 'approval' && gate.state.toLowerCase() === 'pending';
}

export const gateIsCompleted = (gate: Pick<FleetGate, 'state'>): boolean =>
  gate.state.toLowerCase() === 'completed';

/** Where the gate sits, in words: "before stage production", "after group eu of stage prod". */
export function gatePlace(t: GateTarget): string {
  const at = t.group !== undefined ? `group ${t.group} of stage ${t.stage}` : `stage ${t.stage}`;
  return `${t.timing.toLowerCase()} ${at}`;
}

/** An update run as Warden reads it (`properties.status` and `managedClusterUpdate`). */
export interface UpdateRunView {
  readonly id: string;
  readonly name: string;
  /** `systemData.createdBy`: who started the run (may not approve its gates). */
  readonly createdBy?: string;
  /** `status.status.state`: NotStarted, Running, Stopping, Stopped, Skipped, Failed, Pending, Completed. */
  readonly state: string;
  /** `Full`, `ControlPlaneOnly` or `NodeImageOnly`. */
  readonly upgradeType: string;
  readonly kubernetesVersion?: string;
  /** `Latest` or `Consistent`. */
  readonly nodeImageSelection: string;
  readonly stages: readonly {
    readonly name: string;
    readonly state: string;
    readonly groups: readonly {
      readonly name: string;
      readonly state: string;
      readonly members: readonly {
        readonly name: string;
        readonly clusterId: string;
        readonly state: string;
      }[];
    }[];
  }[];
}

/**
 * The members a gate holds back: a before-gate those of its stage or group; an after-gate of a group
 * the stage's groups after it, an after-gate of a stage the next stage's.
 */
export function membersBehind(
  run: UpdateRunView,
  t: GateTarget,
): { readonly name: string; readonly clusterId: string }[] {
  const si = run.stages.findIndex((s) => s.name === t.stage);
  const stage = run.stages[si];
  if (stage === undefined) return [];
  const of = (groups: UpdateRunView['stages'][number]['groups']) =>
    groups.flatMap((g) => g.members.map((m) => ({ name: m.name, clusterId: m.clusterId })));
  if (t.group !== undefined) {
    const gi = stage.groups.findIndex((g) => g.name === t.group);
    if (gi < 0) return [];
    return of(t.timing === 'Before' ? stage.groups.slice(gi, gi + 1) : stage.groups.slice(gi + 1));
  }
  if (t.timing === 'Before') return of(stage.groups);
  return of(run.stages[si + 1]?.groups ?? []);
}

/** What a reject or an expiry does to the run: the policy's choice, where Fleet allows it. */
export type RejectAction = 'stop' | 'skip';

/** The request for a refused gate: stop the run, or skip the stage or group a before-gate holds. */
export function refusalRequest(
  t: GateTarget,
  onReject: RejectAction,
):
  | { readonly kind: 'stop' }
  | { readonly kind: 'skip'; readonly targets: readonly { type: string; name: string }[] } {
  // An after-gate holds no stage or group of its own that a skip could name: the run is stopped.
  if (onReject === 'stop' || t.timing === 'After') return { kind: 'stop' };
  return {
    kind: 'skip',
    targets: [t.group !== undefined ? { type: 'Group', name: t.group } : { type: 'Stage', name: t.stage }],
  };
}

/** One member cluster behind a gate, as the approval shows it. */
export interface GateMember {
  readonly name: string;
  readonly clusterId: string;
  /** From the sweep's store; undefined for a cluster Warden does not know. */
  readonly ring?: Ring;
  readonly location?: string;
  readonly kubernetesVersion?: string;
  /** The target version is offered in the member's region (false: Fleet would fail there, Azure/AKS#5423). */
  readonly versionInRegion?: boolean;
  /** The member's pre-flight verdict and the checks that did not pass, when Warden has one. */
  readonly preflight?: {
    readonly verdict: PreflightVerdict;
    readonly checkedAt: string;
    readonly notPassed: readonly string[];
  };
}

/** What a `fleet-gate` plan carries about its gate (`plan.fleetGate`). */
export interface FleetGatePlan {
  readonly gateId: string;
  readonly gateName: string;
  readonly fleetId: string;
  readonly fleetName: string;
  readonly displayName: string;
  readonly target: GateTarget;
  readonly upgradeType: string;
  readonly kubernetesVersion?: string;
  readonly nodeImageSelection: string;
  readonly members: readonly GateMember[];
  readonly onReject: RejectAction;
}

/** The highest ring among the members (the gate is as sensitive as its most sensitive cluster). */
export function gateRing(members: readonly GateMember[], fallback: Ring): Ring {
  const rings = members.map((m) => m.ring).filter((r): r is Ring => r !== undefined);
  if (rings.length === 0) return fallback;
  return rings.reduce((a, b) => (RINGS.indexOf(b) > RINGS.indexOf(a) ? b : a));
}

/** Findings for the approval page: a member whose region lacks the version, a member whose pre-flight says no-go. */
export function gateFindings(g: FleetGatePlan): { severity: 'warning' | 'critical'; message: string }[] {
  const out: { severity: 'warning' | 'critical'; message: string }[] = [];
  for (const m of g.members) {
    if (m.versionInRegion === false)
      out.push({
        severity: 'critical',
        message: `${m.name}: Kubernetes ${g.kubernetesVersion ?? '?'} is not offered in ${m.location ?? 'its region'} yet; Fleet would fail this member (approve only once the region has it)`,
      });
    if (m.preflight?.verdict === 'no-go')
      out.push({
        severity: 'critical',
        message: `${m.name}: pre-flight says no-go (${m.preflight.notPassed.join(', ')})`,
      });
    if (m.ring === undefined)
      out.push({
        severity: 'warning',
        message: `${m.name}: not in Warden's fleet store (ring, version and region unknown)`,
      });
  }
  return out;
}
