import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Just enough of Bicep to check templates without the Bicep compiler (it ships through NuGet, which
 * these machines cannot reach): a lexer that tells code from comments and strings, and readers for
 * declarations. Not a parser; the checks built on it are conservative.
 */

export const repoRoot = resolve(__dirname, '../..');
export const infraDir = join(repoRoot, 'infra');

export interface BicepFile {
  readonly path: string;
  /** Path relative to the repository root, for messages. */
  readonly name: string;
  readonly text: string;
  /** The text with comments blanked and string literal contents blanked, `${…}` interpolations kept. */
  readonly code: string;
  /** Problems the lexer found (unterminated string or comment, unbalanced or mismatched brackets). */
  readonly problems: readonly string[];
}

export function listBicepFiles(dir = infraDir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listBicepFiles(p));
    else if (entry.name.endsWith('.bicep')) out.push(p);
  }
  return out.sort();
}

const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Lexes a Bicep text: blanks comments and string contents (keeping interpolations), checks brackets. */
export function lex(text: string): { code: string; problems: string[] } {
  const out = text.split('');
  const problems: string[] = [];
  const line = (i: number) => text.slice(0, i).split('\n').length;
  // Each frame: a bracket in code, or a string (whose `${` opens an interpolation frame '${').
  const stack: { kind: string; at: number }[] = [];
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  const inString = () => stack.length > 0 && stack[stack.length - 1]!.kind === "'";
  while (i < text.length) {
    const c = text[i]!;
    if (inString()) {
      if (c === '\\') {
        blank(i, i + 2);
        i += 2;
      } else if (c === '$' && text[i + 1] === '{') {
        stack.push({ kind: '${', at: i });
        i += 2;
      } else if (c === "'") {
        stack.pop();
        i += 1;
      } else if (c === '\n') {
        problems.push(`line ${line(i)}: string not closed on its line`);
        stack.pop();
        i += 1;
      } else {
        blank(i, i + 1);
        i += 1;
      }
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) {
        problems.push(`line ${line(i)}: comment not closed`);
        blank(i, text.length);
        i = text.length;
      } else {
        blank(i, end + 2);
        i = end + 2;
      }
    } else if (c === "'") {
      if (text.startsWith("'''", i)) {
        const end = text.indexOf("'''", i + 3);
        if (end === -1) problems.push(`line ${line(i)}: multi-line string not closed`);
        const stop = end === -1 ? text.length : end + 3;
        blank(i + 3, Math.max(i + 3, stop - 3));
        i = stop;
      } else {
        stack.push({ kind: "'", at: i });
        i += 1;
      }
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push({ kind: c, at: i });
      i += 1;
    } else if (c === ')' || c === ']' || c === '}') {
      const top = stack[stack.length - 1];
      if (c === '}' && top?.kind === '${') {
        stack.pop();
      } else if (!top || top.kind !== CLOSERS[c]) {
        problems.push(
          `line ${line(i)}: '${c}' does not close ${top ? `'${top.kind}' of line ${line(top.at)}` : 'anything'}`,
        );
      } else {
        stack.pop();
      }
      i += 1;
    } else {
      i += 1;
    }
  }
  for (const open of stack) problems.push(`line ${line(open.at)}: '${open.kind}' never closed`);
  return { code: out.join(''), problems };
}

export function readBicep(path: string): BicepFile {
  const text = readFileSync(path, 'utf8');
  const { code, problems } = lex(text);
  return { path, name: relative(repoRoot, path), text, code, problems };
}

export interface ParamDecl {
  readonly name: string;
  readonly hasDefault: boolean;
  readonly secure: boolean;
  /** The default value's source text, if any. */
  readonly defaultText?: string;
}

/** `param name type [= default]`, with whether a `@secure()` decorator precedes it. */
export function params(file: BicepFile): ParamDecl[] {
  const decls: ParamDecl[] = [];
  const lines = file.code.split('\n');
  const textLines = file.text.split('\n');
  let secure = false;
  lines.forEach((l, n) => {
    if (/^\s*@secure\(\)/.test(l)) secure = true;
    const m = /^\s*param\s+(\w+)\s+[\w.[\]]+\s*(=\s*(.*))?$/.exec(l);
    if (m) {
      const text = /=\s*(.*)$/.exec(textLines[n] ?? '');
      decls.push({
        name: m[1]!,
        hasDefault: m[2] !== undefined,
        secure,
        ...(text ? { defaultText: text[1]!.trim() } : {}),
      });
      secure = false;
    } else if (!/^\s*(@|$)/.test(l)) {
      secure = false;
    }
  });
  return decls;
}

export function outputs(file: BicepFile): string[] {
  return [...file.code.matchAll(/^\s*output\s+(\w+)\s/gm)].map((m) => m[1]!);
}

export interface ModuleDecl {
  readonly symbol: string;
  readonly path: string;
  /** The module file, resolved against the declaring file, or undefined for a registry reference. */
  readonly file?: string;
  /** Top-level keys of its `params: { … }` block. */
  readonly paramKeys: readonly string[];
}

/** The source text of the balanced `{…}` block starting at `open` in `code`. */
export function block(code: string, open: number): string {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '{' || code[i] === '[' || code[i] === '(') depth++;
    else if (code[i] === '}' || code[i] === ']' || code[i] === ')') {
      depth--;
      if (depth === 0) return code.slice(open, i + 1);
    }
  }
  return code.slice(open);
}

/** Keys at the first level of an object block `{ a: …, b: { c: … } }` → ['a', 'b']. */
export function topLevelKeys(objectBlock: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let lineStart = true;
  for (let i = 0; i < objectBlock.length; i++) {
    const c = objectBlock[i]!;
    if (depth === 1 && lineStart) {
      const m = /^\s*'?([A-Za-z_][\w-]*)'?\s*:/.exec(
        objectBlock.slice(i, objectBlock.indexOf('\n', i) >>> 0),
      );
      if (m) keys.push(m[1]!);
    }
    lineStart = c === '\n' || (lineStart && /\s/.test(c));
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
  }
  return [...new Set(keys)];
}

export function modules(file: BicepFile): ModuleDecl[] {
  const found: ModuleDecl[] = [];
  for (const m of file.text.matchAll(/^\s*module\s+(\w+)\s+'([^']+)'\s*=/gm)) {
    const path = m[2]!;
    const registry = /^(br[:/]|ts[:/])/.test(path);
    const at = (m.index ?? 0) + m[0].length;
    const rest = file.code.slice(at);
    const p = /\bparams\s*:\s*\{/.exec(rest);
    // The module's own body ends where the next top-level declaration starts.
    const nextDecl = /^(module|resource|output|param|var|targetScope|type|func)\b/m.exec(rest);
    const paramKeys =
      p && (!nextDecl || p.index < nextDecl.index)
        ? topLevelKeys(block(rest, p.index + p[0].length - 1))
        : [];
    found.push({
      symbol: m[1]!,
      path,
      ...(registry ? {} : { file: resolve(dirname(file.path), path) }),
      paramKeys,
    });
  }
  return found;
}

export function resourceTypes(file: BicepFile): { symbol: string; type: string }[] {
  return [...file.text.matchAll(/^\s*resource\s+(\w+)\s+'([^']+)'/gm)].map((m) => ({
    symbol: m[1]!,
    type: m[2]!,
  }));
}

/** Every string array under `key: [ … ]` in a file, e.g. includedEventTypes or role actions. */
export function stringArrays(file: BicepFile, key: string): string[][] {
  const arrays: string[][] = [];
  const re = new RegExp(`\\b${key}\\s*:\\s*\\[`, 'g');
  for (const m of file.code.matchAll(re)) {
    const open = (m.index ?? 0) + m[0].length - 1;
    const inCode = block(file.code, open);
    const inText = file.text.slice(open, open + inCode.length);
    arrays.push([...inText.matchAll(/'([^'$]+)'/g)].map((s) => s[1]!));
  }
  return arrays;
}
