/**
 * The parsing half of the simulator's KQL (kql.ts runs what this parses): tokens, expressions,
 * `name = expr` lists, and the split of a query into its `|` stages.
 */
export class KqlError extends Error {
  override readonly name = 'KqlError';
}

export type Token =
  { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'op'; v: string };

const OPS = [
  '==',
  '!=',
  '=~',
  '!~',
  '<=',
  '>=',
  '<',
  '>',
  '=',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  '+',
  '-',
  '*',
  '/',
  '|',
];

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      let v = '';
      while (j < text.length && text[j] !== ch) {
        if (text[j] === '\\' && j + 1 < text.length) {
          v += text[j + 1];
          j += 2;
          continue;
        }
        v += text[j];
        j += 1;
      }
      if (j >= text.length) throw new KqlError('unterminated string literal');
      out.push({ t: 'str', v });
      i = j + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?/.exec(text.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    // Identifiers include `-` inside operator names (project-away, mv-expand) and a leading `!` on
    // string operators (!contains, !in, !has, !startswith).
    const id = /^!?[A-Za-z_$][A-Za-z0-9_$]*(?:-[A-Za-z]+)?~?/.exec(text.slice(i));
    if (id && (id[0][0] !== '!' || /^!(contains|has|startswith|endswith|in~?)$/i.test(id[0]))) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) throw new KqlError(`unexpected character "${ch}"`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  return out;
}

export type Expr =
  | { k: 'lit'; v: unknown }
  | { k: 'col'; path: (string | number)[] }
  | { k: 'idx'; base: Expr; key: Expr }
  | { k: 'call'; name: string; args: Expr[] }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'in'; op: string; l: Expr; list: Expr[] }
  | { k: 'not'; e: Expr };

export class Parser {
  private i = 0;

  /** Position to come back to (one-token look-ahead for `name = expr`). */
  mark(): number {
    return this.i;
  }
  reset(position: number): void {
    this.i = position;
  }
  constructor(private readonly toks: Token[]) {}

  peek(): Token | undefined {
    return this.toks[this.i];
  }
  next(): Token {
    const t = this.toks[this.i];
    if (!t) throw new KqlError('unexpected end of query');
    this.i += 1;
    return t;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === 'op' && t.v === v;
  }
  isWord(v: string): boolean {
    const t = this.peek();
    return t?.t === 'id' && t.v.toLowerCase() === v;
  }
  expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new KqlError(`expected "${v}"`);
  }
  ident(): string {
    const t = this.next();
    if (t.t !== 'id') throw new KqlError('expected a name');
    return t.v;
  }

  expr(): Expr {
    return this.or();
  }
  private or(): Expr {
    let l = this.and();
    while (this.isWord('or')) {
      this.next();
      l = { k: 'bin', op: 'or', l, r: this.and() };
    }
    return l;
  }
  private and(): Expr {
    let l = this.cmp();
    while (this.isWord('and')) {
      this.next();
      l = { k: 'bin', op: 'and', l, r: this.cmp() };
    }
    return l;
  }
  private cmp(): Expr {
    const l = this.add();
    const t = this.peek();
    if (t?.t === 'op' && ['==', '!=', '=~', '!~', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      return { k: 'bin', op: t.v, l, r: this.add() };
    }
    if (t?.t === 'id') {
      const w = t.v.toLowerCase();
      if (['in', '!in', 'in~', '!in~'].includes(w)) {
        this.next();
        this.expectOp('(');
        const list: Expr[] = [];
        while (!this.isOp(')')) {
          list.push(this.expr());
          if (this.isOp(',')) this.next();
        }
        this.expectOp(')');
        return { k: 'in', op: w, l, list };
      }
      if (/^!?(contains|has|startswith|endswith|contains_cs|has_cs)$/.test(w)) {
        this.next();
        return { k: 'bin', op: w, l, r: this.add() };
      }
    }
    return l;
  }
  private add(): Expr {
    let l = this.unary();
    while (this.isOp('+') || this.isOp('-') || this.isOp('*') || this.isOp('/')) {
      const op = (this.next() as { v: string }).v;
      l = { k: 'bin', op, l, r: this.unary() };
    }
    return l;
  }
  private unary(): Expr {
    if (this.isOp('-')) {
      this.next();
      return { k: 'bin', op: '-', l: { k: 'lit', v: 0 }, r: this.postfix() };
    }
    return this.postfix();
  }
  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const name = this.ident();
        e =
          e.k === 'col'
            ? { k: 'col', path: [...e.path, name] }
            : { k: 'idx', base: e, key: { k: 'lit', v: name } };
        continue;
      }
      if (this.isOp('[')) {
        this.next();
        const key = this.expr();
        this.expectOp(']');
        e =
          e.k === 'col' && key.k === 'lit' && (typeof key.v === 'string' || typeof key.v === 'number')
            ? { k: 'col', path: [...e.path, key.v] }
            : { k: 'idx', base: e, key };
        continue;
      }
      return e;
    }
  }
  private primary(): Expr {
    const t = this.next();
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const e = this.expr();
      this.expectOp(')');
      return e;
    }
    if (t.t === 'id') {
      const w = t.v.toLowerCase();
      if (w === 'true' || w === 'false') return { k: 'lit', v: w === 'true' };
      if (w === 'null') return { k: 'lit', v: null };
      if (this.isOp('(')) {
        this.next();
        const args: Expr[] = [];
        while (!this.isOp(')')) {
          args.push(this.expr());
          if (this.isOp(',')) this.next();
        }
        this.expectOp(')');
        if (w === 'not') return { k: 'not', e: args[0] ?? { k: 'lit', v: false } };
        return { k: 'call', name: w, args };
      }
      return { k: 'col', path: [t.v] };
    }
    throw new KqlError(`unexpected "${String(t.v)}"`);
  }
}

export function columnName(e: Expr, fallback: string): string {
  if (e.k === 'col') return e.path.map(String).join('_');
  if (e.k === 'call' && e.args.length >= 1 && e.args[0]) return columnName(e.args[0], fallback);
  return fallback;
}

export interface Assignment {
  readonly name: string;
  readonly expr: Expr;
}

export function assignments(p: Parser, stage: string): Assignment[] {
  const out: Assignment[] = [];
  let n = 0;
  for (;;) {
    const start = p.peek();
    let name: string | undefined;
    if (start?.t === 'id') {
      const save = p.mark();
      p.next();
      if (p.isOp('=')) {
        p.next();
        name = start.v;
      } else p.reset(save);
    }
    const expr = p.expr();
    n += 1;
    out.push({ name: name ?? columnName(expr, stage === 'summarize' ? `count_${n}` : `Column${n}`), expr });
    if (!p.isOp(',')) break;
    p.next();
  }
  return out;
}

export function splitPipes(query: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (let i = 0; i < query.length; i += 1) {
    const ch = query[i] ?? '';
    if (quote) {
      cur += ch;
      if (ch === '\\') {
        cur += query[i + 1] ?? '';
        i += 1;
      } else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    if (ch === '(' || ch === '[') depth += 1;
    if (ch === ')' || ch === ']') depth -= 1;
    if (ch === '|' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts.map((s) => s.trim());
}

/** Result of a query: the rows and whether a `limit`/`take` cut them (paging then stops there). */
