/**
 * The slice of KQL (Kusto) that Resource Graph queries over `resources` need: `where`, `project`,
 * `project-away`, `extend`, `order by` / `sort by`, `limit` / `take`, `summarize count() by`,
 * `mv-expand`, `count`; expressions with `== != =~ !~ < <= > >=`, `contains has startswith endswith`
 * (and their `!` forms), `in` / `!in` / `in~`, `and or not`, `+ -`, dotted and bracketed paths and a
 * handful of functions. Anything else is a {@link KqlError}, which Resource Graph answers with 400.
 */
import type { Assignment, Expr } from './kqlParser';
import { assignments, columnName, KqlError, Parser, splitPipes, tokenize } from './kqlParser';

export { KqlError } from './kqlParser';

type Row = Record<string, unknown>;

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (isEmpty(a) && isEmpty(b)) return 0;
  if (isEmpty(a)) return -1;
  if (isEmpty(b)) return 1;
  return str(a).localeCompare(str(b));
}

function lookup(row: Row, path: (string | number)[]): unknown {
  let v: unknown = row;
  for (const [i, p] of path.entries()) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    if (i === 0 && typeof p === 'string' && !Array.isArray(v)) {
      // Column names are case-sensitive in KQL, but Resource Graph is forgiving with them.
      const rec = v as Row;
      const key = p in rec ? p : Object.keys(rec).find((k) => k.toLowerCase() === p.toLowerCase());
      v = key === undefined ? undefined : rec[key];
      continue;
    }
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

const hasTerm = (hay: string, needle: string): boolean =>
  new RegExp(`(^|[^a-z0-9])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9])`, 'i').test(hay);

function evaluate(e: Expr, row: Row): unknown {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'col':
      return lookup(row, e.path);
    case 'idx': {
      const base = evaluate(e.base, row);
      const key = evaluate(e.key, row);
      if (base === null || typeof base !== 'object') return undefined;
      return (base as Record<string, unknown>)[str(key)];
    }
    case 'not':
      return !truthy(evaluate(e.e, row));
    case 'in': {
      const v = evaluate(e.l, row);
      const list = e.list.flatMap((x) => {
        const r = evaluate(x, row);
        return Array.isArray(r) ? (r as unknown[]) : [r];
      });
      const ci = e.op.endsWith('~');
      const found = list.some((x) =>
        ci ? str(x).toLowerCase() === str(v).toLowerCase() : str(x) === str(v),
      );
      return e.op.startsWith('!') ? !found : found;
    }
    case 'bin':
      return binary(e.op, e.l, e.r, row);
    case 'call':
      return call(e.name, e.args, row);
  }
}

function truthy(v: unknown): boolean {
  return v === true;
}

function binary(op: string, le: Expr, re: Expr, row: Row): unknown {
  if (op === 'and') return truthy(evaluate(le, row)) && truthy(evaluate(re, row));
  if (op === 'or') return truthy(evaluate(le, row)) || truthy(evaluate(re, row));
  const l = evaluate(le, row);
  const r = evaluate(re, row);
  const ls = str(l);
  const rs = str(r);
  switch (op) {
    case '==':
      return typeof l === 'number' || typeof r === 'number'
        ? Number(l) === Number(r)
        : ls === rs && !(isEmpty(l) && !isEmpty(r));
    case '!=':
      return !(binary('==', { k: 'lit', v: l }, { k: 'lit', v: r }, row) as boolean);
    case '=~':
      return ls.toLowerCase() === rs.toLowerCase();
    case '!~':
      return ls.toLowerCase() !== rs.toLowerCase();
    case '<':
      return compare(l, r) < 0;
    case '<=':
      return compare(l, r) <= 0;
    case '>':
      return compare(l, r) > 0;
    case '>=':
      return compare(l, r) >= 0;
    case 'contains':
      return ls.toLowerCase().includes(rs.toLowerCase());
    case '!contains':
      return !ls.toLowerCase().includes(rs.toLowerCase());
    case 'contains_cs':
      return ls.includes(rs);
    case 'has':
      return hasTerm(ls, rs);
    case '!has':
      return !hasTerm(ls, rs);
    case 'has_cs':
      return hasTerm(ls, rs) && ls.includes(rs);
    case 'startswith':
      return ls.toLowerCase().startsWith(rs.toLowerCase());
    case '!startswith':
      return !ls.toLowerCase().startsWith(rs.toLowerCase());
    case 'endswith':
      return ls.toLowerCase().endsWith(rs.toLowerCase());
    case '!endswith':
      return !ls.toLowerCase().endsWith(rs.toLowerCase());
    case '+':
      return typeof l === 'number' && typeof r === 'number' ? l + r : undefined;
    case '-':
      return typeof l === 'number' && typeof r === 'number' ? l - r : undefined;
    case '*':
      return typeof l === 'number' && typeof r === 'number' ? l * r : undefined;
    case '/':
      return typeof l === 'number' && typeof r === 'number' && r !== 0 ? l / r : undefined;
    default:
      throw new KqlError(`operator ${op} is not supported`);
  }
}

function call(name: string, args: Expr[], row: Row): unknown {
  const v = args.map((a) => evaluate(a, row));
  const a0 = v[0];
  switch (name) {
    case 'tostring':
      return isEmpty(a0) ? '' : str(a0);
    case 'tolower':
      return str(a0).toLowerCase();
    case 'toupper':
      return str(a0).toUpperCase();
    case 'toint':
    case 'tolong':
    case 'todouble':
    case 'toreal': {
      const n = Number(a0);
      return isEmpty(a0) || Number.isNaN(n)
        ? null
        : name === 'toint' || name === 'tolong'
          ? Math.trunc(n)
          : n;
    }
    case 'tobool':
      return a0 === true || str(a0).toLowerCase() === 'true';
    case 'todynamic':
    case 'parse_json':
      return typeof a0 === 'string' ? (JSON.parse(a0) as unknown) : a0;
    case 'isempty':
      return isEmpty(a0);
    case 'isnotempty':
      return !isEmpty(a0);
    case 'isnull':
      return a0 === null || a0 === undefined;
    case 'isnotnull':
      return a0 !== null && a0 !== undefined;
    case 'strcat':
      return v.map(str).join('');
    case 'strlen':
      return str(a0).length;
    case 'array_length':
      return Array.isArray(a0) ? a0.length : null;
    case 'coalesce':
      return v.find((x) => !isEmpty(x)) ?? null;
    case 'iff':
    case 'iif':
      return truthy(a0) ? v[1] : v[2];
    case 'split':
      return str(a0).split(str(v[1]));
    case 'pack_array':
      return v;
    case 'bag_keys':
      return a0 !== null && typeof a0 === 'object' ? Object.keys(a0) : [];
    default:
      throw new KqlError(`function ${name}() is not supported`);
  }
}

/** The column name KQL gives an unnamed expression: `properties.a.b` -> `properties_a_b`. */
export interface QueryResult {
  readonly rows: Row[];
  /** The columns, in order, as `table` format needs them. */
  readonly columns: string[];
}

/**
 * Runs a query over named tables (`resources`, case-insensitive). Line comments (`//`) are removed.
 */
export function runQuery(query: string, tables: Record<string, readonly Row[]>): QueryResult {
  const cleaned = query.replace(/\/\/[^\n]*/g, '').trim();
  if (cleaned === '') throw new KqlError('the query is empty');
  const [source = '', ...stages] = splitPipes(cleaned);
  const table = Object.entries(tables).find(([k]) => k.toLowerCase() === source.toLowerCase());
  if (!table) throw new KqlError(`unknown table "${source}"`);
  let rows: Row[] = table[1].map((r) => ({ ...r }));
  let columns: string[] = Object.keys(table[1][0] ?? {});
  for (const stage of stages) {
    const p = new Parser(tokenize(stage));
    const op = p.ident().toLowerCase();
    switch (op) {
      case 'where':
      case 'filter': {
        const e = p.expr();
        rows = rows.filter((r) => truthy(evaluate(e, r)));
        break;
      }
      case 'project': {
        const as = assignments(p, op);
        rows = rows.map((r) => Object.fromEntries(as.map((a) => [a.name, evaluate(a.expr, r)])));
        columns = as.map((a) => a.name);
        break;
      }
      case 'project-away': {
        const names = assignments(p, op).map((a) => a.name.toLowerCase());
        rows = rows.map((r) =>
          Object.fromEntries(Object.entries(r).filter(([k]) => !names.includes(k.toLowerCase()))),
        );
        columns = columns.filter((c) => !names.includes(c.toLowerCase()));
        break;
      }
      case 'extend': {
        const as = assignments(p, op);
        rows = rows.map((r) => {
          const out = { ...r };
          for (const a of as) out[a.name] = evaluate(a.expr, out);
          return out;
        });
        columns = [...columns.filter((c) => !as.some((a) => a.name === c)), ...as.map((a) => a.name)];
        break;
      }
      case 'order':
      case 'sort': {
        if (!p.isWord('by')) throw new KqlError(`${op} needs "by"`);
        p.next();
        const keys: { e: Expr; desc: boolean }[] = [];
        for (;;) {
          const e = p.expr();
          let desc = true; // KQL sorts descending unless told otherwise.
          if (p.isWord('asc') || p.isWord('desc')) desc = p.ident().toLowerCase() === 'desc';
          if (p.isWord('nulls')) {
            p.next();
            p.next();
          }
          keys.push({ e, desc });
          if (!p.isOp(',')) break;
          p.next();
        }
        rows = [...rows].sort((a, b) => {
          for (const k of keys) {
            const c = compare(evaluate(k.e, a), evaluate(k.e, b));
            if (c !== 0) return k.desc ? -c : c;
          }
          return 0;
        });
        break;
      }
      case 'limit':
      case 'take': {
        const t = p.next();
        if (t.t !== 'num') throw new KqlError(`${op} needs a number`);
        rows = rows.slice(0, t.v);
        break;
      }
      case 'count':
        rows = [{ Count: rows.length }];
        columns = ['Count'];
        break;
      case 'summarize': {
        const aggs = assignments(p, op);
        let by: Assignment[] = [];
        if (p.isWord('by')) {
          p.next();
          by = assignments(p, 'by');
        }
        for (const a of aggs) {
          if (a.expr.k !== 'call' || !['count', 'dcount'].includes(a.expr.name))
            throw new KqlError('summarize supports count() and dcount() only');
        }
        const groups = new Map<string, Row[]>();
        for (const r of rows) {
          const key = JSON.stringify(by.map((b) => evaluate(b.expr, r) ?? null));
          groups.set(key, [...(groups.get(key) ?? []), r]);
        }
        rows = [...groups.entries()].map(([key, members]) => {
          const keyValues = JSON.parse(key) as unknown[];
          const out: Row = {};
          by.forEach((b, i) => (out[b.name] = keyValues[i]));
          for (const a of aggs) {
            const name = a.name.startsWith('count_') ? (a.expr.k === 'call' ? a.expr.name : a.name) : a.name;
            if (a.expr.k === 'call' && a.expr.name === 'dcount') {
              const arg = a.expr.args[0];
              out[name === 'dcount' ? `dcount_${arg ? columnName(arg, '') : ''}` : name] = new Set(
                members.map((m) => JSON.stringify(arg ? evaluate(arg, m) : null)),
              ).size;
            } else out[name] = members.length;
          }
          return out;
        });
        columns = rows[0] ? Object.keys(rows[0]) : [...by.map((b) => b.name), ...aggs.map((a) => a.name)];
        break;
      }
      case 'mv-expand': {
        const [a] = assignments(p, op);
        if (!a) throw new KqlError('mv-expand needs a column');
        rows = rows.flatMap((r) => {
          const v = evaluate(a.expr, r);
          const items = Array.isArray(v) ? (v as unknown[]) : [v];
          return items.map((item) => ({ ...r, [a.name]: item }));
        });
        if (!columns.includes(a.name)) columns = [...columns, a.name];
        break;
      }
      default:
        throw new KqlError(`operator "${op}" is not supported by the simulator`);
    }
    if (!p.done()) throw new KqlError(`unexpected text after ${op}`);
  }
  return { rows, columns };
}
