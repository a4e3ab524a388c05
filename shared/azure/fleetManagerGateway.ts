import type { PipelineResponse } from '@azure/core-rest-pipeline';

import type {
  FleetAutoUpgradeProfile,
  FleetCoverage,
  StrategyStage,
  UpdateStrategyView,
} from '../domain/fleetAutoUpgrade';
import type { FleetGate, FleetRef, UpdateRunView } from '../domain/fleetGate';
import { decodeFleetGate, parseFleetId } from '../domain/fleetGate';
import type { InventoryScope, StartedOperation } from './aksGateway';
import type { ArmClients } from './armAksGateway';
import { retryAfterMs, toWardenError } from './armErrors';

/**
 * Fleet Manager's gates and update runs at api-version 2026-06-01 (docs/design/azure-fleet.md).
 * `@azure/arm-containerservicefleet` 2.0.0, the newest the registry serves, has no gates and speaks
 * 2025-03-01, so these go over the same core pipeline as the SDK clients (credential, TLS, retries,
 * call gate: {@link ArmClients.send}). Long-running answers (202 + `Location` / `Azure-AsyncOperation`)
 * are returned as a {@link StartedOperation} for the caller to poll with `AksGateway.operationStatus`.
 */
export const FLEET_API_VERSION = '2026-06-01';

/** The fleets in scope: one Resource Graph query (fleets are tracked resources), at most 1,000 of them. */
export const FLEETS_QUERY =
  "resources\n| where type =~ 'microsoft.containerservice/fleets'\n| project id, name, location, tags\n| order by id asc";

export interface FleetManagerGateway {
  /** The fleets in the inventory's scope (Resource Graph, one query). */
  listFleets(scope: InventoryScope): Promise<FleetRef[]>;
  /**
   * What can upgrade the fleet's members besides a gated run: its members (`GET …/members`), its
   * auto-upgrade profiles (`GET …/autoUpgradeProfiles`), and the update strategy of each enabled profile
   * that names one (`GET …/updateStrategies/{s}`, once per strategy): 2 ARM lists a fleet, plus 1 read per
   * strategy in use.
   */
  fleetCoverage(fleet: FleetRef): Promise<FleetCoverage>;
  /** `GET …/fleets/{fleet}/gates`, every page. */
  listGates(fleet: FleetRef): Promise<FleetGate[]>;
  /** The gate with its ETag; undefined when it is gone (its run was deleted). */
  getGate(gateId: string): Promise<FleetGate | undefined>;
  getUpdateRun(runId: string): Promise<UpdateRunView | undefined>;
  /** `PATCH …/gates/{gate}` `{"properties":{"state":"Completed"}}` with `If-Match`. */
  completeGate(gate: FleetGate): Promise<StartedOperation>;
  /** `POST …/updateRuns/{run}/stop`. */
  stopRun(runId: string): Promise<StartedOperation>;
  /** `POST …/updateRuns/{run}/skip` `{ targets }`. */
  skip(runId: string, targets: readonly { type: string; name: string }[]): Promise<StartedOperation>;
}

export type { FleetCoverage } from '../domain/fleetAutoUpgrade';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const state = (v: unknown): string => str(obj(obj(v).status).state) ?? 'NotStarted';
const gates = (v: unknown): number => arr(v).length;

/** An update strategy body (`properties.strategy.stages[]`, each with groups and gates) as the domain reads it. */
export function updateStrategyFromWire(raw: unknown): UpdateStrategyView | undefined {
  const body = obj(raw);
  const id = str(body.id);
  if (id === undefined) return undefined;
  const stages: StrategyStage[] = arr(obj(obj(body.properties).strategy).stages).map((s) => ({
    name: str(obj(s).name) ?? '',
    beforeGates: gates(obj(s).beforeGates),
    afterGates: gates(obj(s).afterGates),
    groups: arr(obj(s).groups).map((g) => ({
      name: str(obj(g).name) ?? '',
      beforeGates: gates(obj(g).beforeGates),
      afterGates: gates(obj(g).afterGates),
    })),
  }));
  return { id, name: str(body.name) ?? id.split('/').at(-1) ?? '', stages };
}

/** An update run body (`properties.status`, `managedClusterUpdate`) as the domain reads it. */
export function updateRunFromWire(raw: unknown): UpdateRunView | undefined {
  const body = obj(raw);
  const id = str(body.id);
  if (id === undefined) return undefined;
  const p = obj(body.properties);
  const update = obj(p.managedClusterUpdate);
  const upgrade = obj(update.upgrade);
  const status = obj(p.status);
  const kubernetesVersion = str(upgrade.kubernetesVersion);
  const createdBy = str(obj(body.systemData).createdBy);
  return {
    id,
    name: str(body.name) ?? id.split('/').at(-1) ?? '',
    ...(createdBy !== undefined && { createdBy }),
    state: state(status),
    upgradeType: str(upgrade.type) ?? 'Full',
    ...(kubernetesVersion !== undefined && { kubernetesVersion }),
    nodeImageSelection: str(obj(update.nodeImageSelection).type) ?? 'Latest',
    stages: arr(status.stages).map((s) => ({
      name: str(obj(s).name) ?? '',
      state: state(s),
      groups: arr(obj(s).groups).map((g) => ({
        name: str(obj(g).name) ?? '',
        state: state(g),
        members: arr(obj(g).members).map((m) => ({
          name: str(obj(m).name) ?? '',
          clusterId: str(obj(m).clusterResourceId) ?? '',
          state: state(m),
        })),
      })),
    })),
  };
}

function started(response: PipelineResponse): StartedOperation {
  const h = (n: string): string | undefined => response.headers.get(n) ?? undefined;
  const async = h('azure-asyncoperation');
  const location = h('location');
  const retry = h('retry-after');
  const retryAfterSeconds = retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined;
  const pollUrl = response.status === 202 ? (async ?? location) : undefined;
  return {
    httpStatus: response.status,
    ...(pollUrl !== undefined && {
      pollUrl,
      pollKind: async !== undefined ? 'azure-async-operation' : 'location',
    }),
    ...(location !== undefined && { locationUrl: location }),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  };
}

export class ArmFleetManagerGateway implements FleetManagerGateway {
  constructor(private readonly clients: ArmClients) {}

  private async call(
    what: string,
    subscriptionId: string,
    method: 'GET' | 'PATCH' | 'POST',
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; allow404?: boolean } = {},
  ): Promise<PipelineResponse | undefined> {
    const url = /^https?:/.test(path)
      ? path
      : `${path}${path.includes('?') ? '&' : '?'}api-version=${FLEET_API_VERSION}`;
    let response: PipelineResponse;
    try {
      response = await this.clients.send(subscriptionId, method, url, options);
    } catch (e) {
      throw toWardenError(e, what);
    }
    if (response.status === 404 && options.allow404 === true) return undefined;
    if (response.status >= 400) {
      const wait = retryAfterMs((n) => response.headers.get(n) ?? undefined);
      throw toWardenError(
        Object.assign(new Error(`${what} answered ${response.status}`), { statusCode: response.status }),
        what,
        {
          status: response.status,
          ...(typeof response.bodyAsText === 'string' && { bodyText: response.bodyAsText }),
          ...(wait !== undefined && { retryAfterMs: wait }),
        },
      );
    }
    return response;
  }

  private static json(response: PipelineResponse | undefined): unknown {
    const text = response?.bodyAsText;
    if (typeof text !== 'string' || text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  async listFleets(scope: InventoryScope): Promise<FleetRef[]> {
    let response;
    try {
      response = await this.clients.resourceGraph().resources({
        query: FLEETS_QUERY,
        ...(scope.kind === 'subscriptions' && { subscriptions: [...scope.subscriptionIds] }),
        ...(scope.kind === 'managementGroup' && { managementGroups: [scope.managementGroupId] }),
        options: { top: 1000, resultFormat: 'objectArray' },
      });
    } catch (e) {
      throw toWardenError(e, 'Resource Graph fleets query');
    }
    const rows: unknown[] = Array.isArray(response.data) ? (response.data as unknown[]) : [];
    return rows.map((r) => parseFleetId(str(obj(r).id) ?? '')).filter((f): f is FleetRef => f !== undefined);
  }

  private async listAll(what: string, fleet: FleetRef, path: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let next: string | undefined = `${fleet.id}/${path}`;
    for (let page = 0; next !== undefined && page < 100; page++) {
      const body = obj(ArmFleetManagerGateway.json(await this.call(what, fleet.subscriptionId, 'GET', next)));
      items.push(...arr(body.value));
      next = str(body.nextLink);
    }
    return items;
  }

  async listGates(fleet: FleetRef): Promise<FleetGate[]> {
    const gates: FleetGate[] = [];
    for (const g of await this.listAll(`list gates of ${fleet.name}`, fleet, 'gates')) {
      const decoded = decodeFleetGate(g, 'gate');
      if (decoded.ok) gates.push(decoded.value);
    }
    return gates;
  }

  async fleetCoverage(fleet: FleetRef): Promise<FleetCoverage> {
    const [members, listed] = await Promise.all([
      this.listAll(`list members of ${fleet.name}`, fleet, 'members'),
      this.listAll(`list auto-upgrade profiles of ${fleet.name}`, fleet, 'autoUpgradeProfiles'),
    ]);
    const profiles = listed.flatMap((p) => {
      const props = obj(obj(p).properties);
      const name = str(obj(p).name);
      const channel = str(props.channel);
      const updateStrategyId = str(props.updateStrategyId);
      return name !== undefined && channel !== undefined
        ? [
            {
              name,
              channel,
              disabled: props.disabled === true,
              ...(updateStrategyId && { updateStrategyId }),
            },
          ]
        : [];
    });
    const wanted = [...new Set(profiles.filter((p) => !p.disabled).flatMap((p) => p.updateStrategyId ?? []))];
    const strategies = new Map<string, UpdateStrategyView | undefined>(
      await Promise.all(
        wanted.map(async (id) => {
          const response = await this.call(
            `get update strategy ${id.split('/').at(-1) ?? ''}`,
            fleet.subscriptionId,
            'GET',
            id,
            { allow404: true },
          );
          return [id.toLowerCase(), updateStrategyFromWire(ArmFleetManagerGateway.json(response))] as const;
        }),
      ),
    );
    return {
      fleet,
      members: members.flatMap((m) => {
        const props = obj(obj(m).properties);
        const clusterId = str(props.clusterResourceId);
        const group = str(props.group);
        return clusterId !== undefined
          ? [{ name: str(obj(m).name) ?? '', clusterId, ...(group !== undefined && { group }) }]
          : [];
      }),
      autoUpgradeProfiles: profiles.map((p): FleetAutoUpgradeProfile => {
        const strategy =
          p.updateStrategyId !== undefined ? strategies.get(p.updateStrategyId.toLowerCase()) : undefined;
        return { ...p, ...(strategy !== undefined && { strategy }) };
      }),
    };
  }

  async getGate(gateId: string): Promise<FleetGate | undefined> {
    const fleet = parseFleetId(gateId);
    if (!fleet) return undefined;
    const response = await this.call(
      `get gate ${gateId.split('/').at(-1) ?? ''}`,
      fleet.subscriptionId,
      'GET',
      gateId,
      {
        allow404: true,
      },
    );
    if (!response) return undefined;
    const decoded = decodeFleetGate(ArmFleetManagerGateway.json(response), 'gate');
    if (!decoded.ok) throw new Error(`Fleet returned an unreadable gate ${gateId}: ${decoded.problem}`);
    const eTag = response.headers.get('etag') ?? decoded.value.eTag;
    return { ...decoded.value, ...(eTag !== undefined && { eTag }) };
  }

  async getUpdateRun(runId: string): Promise<UpdateRunView | undefined> {
    const fleet = parseFleetId(runId);
    if (!fleet) return undefined;
    const response = await this.call(
      `get update run ${runId.split('/').at(-1) ?? ''}`,
      fleet.subscriptionId,
      'GET',
      runId,
      {
        allow404: true,
      },
    );
    return response ? updateRunFromWire(ArmFleetManagerGateway.json(response)) : undefined;
  }

  async completeGate(gate: FleetGate): Promise<StartedOperation> {
    const response = await this.call(
      `complete gate ${gate.name}`,
      gate.fleet.subscriptionId,
      'PATCH',
      gate.id,
      {
        body: { properties: { state: 'Completed' } },
        ...(gate.eTag !== undefined && { headers: { 'If-Match': gate.eTag } }),
      },
    );
    return started(response as PipelineResponse);
  }

  async stopRun(runId: string): Promise<StartedOperation> {
    const fleet = parseFleetId(runId);
    if (!fleet) throw new Error(`not an update run id: ${runId}`);
    const response = await this.call(
      `stop update run ${runId.split('/').at(-1) ?? ''}`,
      fleet.subscriptionId,
      'POST',
      `${runId}/stop`,
    );
    return started(response as PipelineResponse);
  }

  async skip(runId: string, targets: readonly { type: string; name: string }[]): Promise<StartedOperation> {
    const fleet = parseFleetId(runId);
    if (!fleet) throw new Error(`not an update run id: ${runId}`);
    const response = await this.call(
      `skip in update run ${runId.split('/').at(-1) ?? ''}`,
      fleet.subscriptionId,
      'POST',
      `${runId}/skip`,
      {
        body: { targets },
      },
    );
    return started(response as PipelineResponse);
  }
}
