import { createHash } from 'node:crypto';

import { graphRow } from '../arm/model';
import { hms, QueryQuota } from '../arm/throttle';
import type { SimContext } from '../context';
import { fleetGraphRow } from '../fleetManager/model';
import type { Route, SimRequest, SimResponse } from '../router';
import type { QueryResult } from './kql';
import { KqlError, runQuery } from './kql';

/**
 * Resource Graph `POST /providers/Microsoft.ResourceGraph/resources` (2024-04-01): the fleet's
 * clusters as `resources` rows, KQL (kql.ts), `$top` (1–1000, default 100) / `$skip` /
 * `$skipToken` paging, `objectArray` or `table` results, subscription scoping, and the per-user
 * quota headers with 429 when the quota is spent.
 */
const DEFAULT_TOP = 100;
const MAX_TOP = 1000;

type Json = Record<string, unknown>;

function graphError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): SimResponse {
  return {
    status,
    body: { error: { code, message, details: [{ code, message }] } },
    ...(headers && { headers }),
  };
}

interface SkipToken {
  readonly q: string;
  readonly o: number;
  /** The result set the first page was cut from (see `results` below). */
  readonly r?: number;
}

/** Result sets kept for their next pages: a few concurrent pagings, never the history. */
const KEPT_RESULTS = 8;

function queryHash(query: string, subs: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([query, [...subs].sort()]))
    .digest('base64url')
    .slice(0, 16);
}

export interface GraphOptions {
  /** Queries per window per user (Resource Graph's example quota: 15 per 5 s). */
  readonly quotaPerWindow: number;
  readonly quotaWindowMs: number;
  /**
   * How stale Resource Graph may be (ms): rows are a snapshot of the fleet refreshed at most this
   * often (Azure/azure-dev#540: 95 % of changes within 30 s, no bound). 0: always current.
   */
  readonly lagMs: number;
}

export function resourceGraphRoutes(ctx: SimContext, options: GraphOptions): Route[] {
  const quota = new QueryQuota(options.quotaPerWindow, options.quotaWindowMs);
  // Resource Graph pages one result set by $skipToken; running the query again for every page would
  // make paging a fleet of n rows cost n x pages (the simulator, not Warden, growing quadratically).
  const results = new Map<number, QueryResult>();
  let resultSeq = 0;
  let snapshot: { at: number; rows: { subscriptionId: string; row: Json }[] } | undefined;
  const fleetRows = (): { subscriptionId: string; row: Json }[] => {
    const t = ctx.now().getTime();
    if (snapshot && options.lagMs > 0 && t - snapshot.at < options.lagMs) return snapshot.rows;
    const rows = [...ctx.fleet.clusters.values()].map((c) => ({
      subscriptionId: c.subscriptionId.toLowerCase(),
      // With lag, a deep copy: later changes to the cluster must not show through the snapshot.
      row: options.lagMs > 0 ? structuredClone(graphRow(c, ctx.tenantId)) : graphRow(c, ctx.tenantId),
    }));
    for (const f of ctx.fleet.fleetManager.fleets.values())
      rows.push({ subscriptionId: f.subscriptionId.toLowerCase(), row: fleetGraphRow(f, ctx.tenantId) });
    snapshot = { at: t, rows };
    return rows;
  };
  const handle = (req: SimRequest): SimResponse => {
    const q = quota.take();
    const quotaHeaders = {
      'x-ms-user-quota-remaining': String(q.remaining),
      'x-ms-user-quota-resets-after': hms(q.resetsAfterMs),
    };
    if (!q.ok) {
      return graphError(
        429,
        'RateLimiting',
        `Please provide below info when asking for support: timestamp = ${ctx.now().toISOString()}. Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed.`,
        { ...quotaHeaders, 'retry-after': String(Math.max(1, Math.ceil(q.resetsAfterMs / 1000))) },
      );
    }
    const withQuota = (r: SimResponse): SimResponse => ({ ...r, headers: { ...r.headers, ...quotaHeaders } });
    const body = req.body as Json | undefined;
    if (!body || typeof body.query !== 'string')
      return withQuota(
        graphError(400, 'BadRequest', 'Please provide a query (the "query" property is required).'),
      );
    const subs = Array.isArray(body.subscriptions)
      ? (body.subscriptions as unknown[]).filter((s): s is string => typeof s === 'string')
      : [];
    const options = (body.options ?? {}) as Json;
    const top = options.$top ?? options.top;
    if (top !== undefined && (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > MAX_TOP))
      return withQuota(graphError(400, 'BadRequest', `$top must be an integer from 1 to ${MAX_TOP}.`));
    const skipOpt = options.$skip ?? options.skip;
    if (skipOpt !== undefined && (typeof skipOpt !== 'number' || !Number.isInteger(skipOpt) || skipOpt < 0))
      return withQuota(graphError(400, 'BadRequest', '$skip must be a non-negative integer.'));
    const hash = queryHash(body.query, subs);
    let offset = typeof skipOpt === 'number' ? skipOpt : 0;
    let resultId: number | undefined;
    const tokenText = options.$skipToken ?? options.skipToken;
    if (typeof tokenText === 'string' && tokenText !== '') {
      let token: SkipToken | undefined;
      try {
        token = JSON.parse(Buffer.from(tokenText, 'base64').toString('utf8')) as SkipToken;
      } catch {
        token = undefined;
      }
      if (!token || token.q !== hash || typeof token.o !== 'number')
        return withQuota(
          graphError(400, 'InvalidSkipToken', 'The $skipToken is not valid for this query and scope.'),
        );
      offset = token.o;
      if (typeof token.r === 'number' && results.has(token.r)) resultId = token.r;
    }
    // Scope: the listed subscriptions, else the management groups' (the whole fleet when the fleet
    // file names none), else every subscription the caller can read.
    const groups = Array.isArray(body.managementGroups)
      ? (body.managementGroups as unknown[]).filter((g): g is string => typeof g === 'string')
      : [];
    const scope = new Set(subs.map((s) => s.toLowerCase()));
    let scoped = scope.size > 0;
    if (!scoped && groups.length > 0 && ctx.fleet.managementGroups.size > 0) {
      scoped = true;
      for (const g of groups) {
        const members = ctx.fleet.managementGroups.get(g.toLowerCase());
        if (!members)
          return withQuota(
            graphError(
              403,
              'AuthorizationFailed',
              `The client does not have authorization to perform action over scope '/providers/Microsoft.Management/managementGroups/${g}' or the scope is invalid.`,
            ),
          );
        for (const s of members) scope.add(s);
      }
    }
    let result = resultId === undefined ? undefined : results.get(resultId);
    try {
      if (result === undefined) {
        const rows = fleetRows()
          .filter((r) => !scoped || scope.has(r.subscriptionId))
          .map((r) => r.row);
        result = runQuery(body.query, { resources: rows });
        resultId = ++resultSeq;
        results.set(resultId, result);
        for (const id of results.keys()) if (results.size > KEPT_RESULTS) results.delete(id);
      }
    } catch (e) {
      if (e instanceof KqlError)
        return withQuota(
          graphError(
            400,
            'InvalidQuery',
            `Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying. ${e.message}`,
          ),
        );
      throw e;
    }
    const size = typeof top === 'number' ? top : DEFAULT_TOP;
    const page = result.rows.slice(offset, offset + size);
    const more = offset + size < result.rows.length;
    if (!more && resultId !== undefined) results.delete(resultId);
    // Paging needs `id` in the results; without it the answer is truncated instead.
    const pageable = result.columns.some((c) => c.toLowerCase() === 'id');
    const skipToken =
      more && pageable
        ? Buffer.from(JSON.stringify({ q: hash, o: offset + size, r: resultId })).toString('base64')
        : undefined;
    const format = options.resultFormat === 'table' ? 'table' : 'objectArray';
    const data =
      format === 'table'
        ? {
            columns: result.columns.map((name) => ({ name, type: columnType(page, name) })),
            rows: page.map((r) => result.columns.map((c) => r[c] ?? null)),
          }
        : page;
    return withQuota({
      status: 200,
      body: {
        totalRecords: result.rows.length,
        count: page.length,
        resultTruncated: more && !pageable ? 'true' : 'false',
        ...(skipToken !== undefined && { $skipToken: skipToken }),
        data,
        facets: [],
      },
    });
  };
  return [{ method: 'POST', pattern: /^\/providers\/microsoft\.resourcegraph\/resources\/?$/i, handle }];
}

function columnType(rows: readonly Json[], name: string): string {
  const v = rows.find((r) => r[name] !== undefined && r[name] !== null)?.[name];
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'object';
}
