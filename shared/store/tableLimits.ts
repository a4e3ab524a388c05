import { MAX_STRING_CHARS } from './tables';

/**
 * What a Table Storage key or property can hold ("Understanding the Table service data model";
 * docs/design/azure-platform.md §6), checked before writing so that a value that can never be stored
 * is refused as the sender's problem instead of failing like an outage.
 */

/** PartitionKey and RowKey are strings of at most 1 KiB; strings are UTF-16, so 512 code units. */
export const MAX_KEY_CHARS = 512;

/** Characters a key may not contain: `/ \ # ?` and the control characters U+0000–U+001F, U+007F–U+009F. */
// eslint-disable-next-line no-control-regex -- the control characters are what is being refused
const KEY_FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

/** Why `key` cannot be a PartitionKey or RowKey, or undefined when it can. */
export function keyProblem(what: string, key: string): string | undefined {
  if (key === '') return `${what} is empty`;
  if (key.length > MAX_KEY_CHARS)
    return `${what} is ${key.length} characters long; a Table Storage key holds at most ${MAX_KEY_CHARS}`;
  const bad = KEY_FORBIDDEN.exec(key);
  if (bad !== null) {
    const code = `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return `${what} contains ${code}, which a Table Storage key cannot hold (no / \\ # ? or control characters)`;
  }
  return undefined;
}

/** Why `value` cannot be a string property (at most 32K UTF-16 characters, 64 KiB), or undefined. */
export function stringProblem(what: string, value: string): string | undefined {
  if (value.length <= MAX_STRING_CHARS) return undefined;
  return `${what} is ${value.length} characters long; a stored property holds at most ${MAX_STRING_CHARS}`;
}

/**
 * `text` with every lone UTF-16 surrogate (half of a pair, as a clipped body or a `\ud800` escape
 * leaves it) replaced by U+FFFD, so that it can be sent as a property value.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** How deep stored JSON may nest: deeper data is kept as clipped text, which reads back as a string. */
export const MAX_JSON_DEPTH = 64;

/**
 * `JSON.stringify(value)` cut to at most `max` characters, written without recursion so that data
 * nested thousands deep neither overflows the stack nor is walked past the first `max` characters.
 * For a value whose JSON fits and nests at most `MAX_JSON_DEPTH` deep, the text is exactly what
 * `JSON.stringify` gives for JSON data; otherwise it ends in `…[clipped]` and is no longer JSON, so
 * that reading it back (and answering it as JSON) never recurses that deep either.
 */
export function clippedJson(value: unknown, max: number = MAX_STRING_CHARS): string {
  const parts: string[] = [];
  let length = 0;
  const emit = (text: string): void => {
    parts.push(text);
    length += text.length;
  };
  // A stack of what is left to write: literal text, or a value (children pushed in reverse order).
  const todo: ({ readonly value: unknown; readonly depth: number } | string)[] = [{ value, depth: 0 }];
  let tooDeep = false;
  while (todo.length > 0 && length <= max) {
    const next = todo.pop()!;
    if (typeof next === 'string') {
      emit(next);
      continue;
    }
    const v = next.value;
    const depth = next.depth + 1;
    if (typeof v === 'object' && v !== null && depth > MAX_JSON_DEPTH) {
      tooDeep = true;
      break;
    }
    if (Array.isArray(v)) {
      todo.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        todo.push({ value: v[i] as unknown, depth });
        if (i > 0) todo.push(',');
      }
      todo.push('[');
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v as Record<string, unknown>).filter(
        ([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol',
      );
      todo.push('}');
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        todo.push({ value: x, depth });
        todo.push(`${JSON.stringify(k)}:`);
        if (i > 0) todo.push(',');
      }
      todo.push('{');
    } else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && isFinite(v))) {
      emit(JSON.stringify(v));
    } else {
      emit('null');
    }
  }
  const text = parts.join('');
  return !tooDeep && todo.length === 0 && text.length <= max ? text : `${text.slice(0, max - 12)}…[clipped]`;
}
