/**
 * HTML for Warden's pages: one escaping rule, applied by the `html` tagged template to every
 * interpolated value. Only values built by `html` itself (or `raw`, for constant markup) pass through
 * unescaped, so a cluster name, tag or comment can never become markup.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

type Value = Html | string | number | boolean | undefined | null | readonly Value[];

function render(v: Value): string {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return (v as readonly Value[]).map(render).join('');
  return escapeHtml(String(v));
}

/** Each template's markup without the indentation of the code it is written in (once per call site). */
const tightened = new WeakMap<TemplateStringsArray, readonly string[]>();

function tight(strings: TemplateStringsArray): readonly string[] {
  let parts = tightened.get(strings);
  if (parts === undefined) {
    // A line break and the indentation after it are one line break to HTML (none of these templates holds a <pre>).
    parts = strings.map((s) => s.replace(/\n\s+/g, '\n'));
    tightened.set(strings, parts);
  }
  return parts;
}

/** `html\`<p>${name}</p>\`` escapes `name`; nested `html` fragments and arrays of them are kept. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  const parts = tight(strings);
  let out = parts[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (parts[i + 1] ?? '');
  });
  return new Html(out);
}

/** Constant markup written in code (never data). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** A link only to http(s) URLs; anything else renders as text. */
export function safeUrl(url: string): string {
  return /^https?:\/\//i.test(url) ? url : '#';
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:760px;margin:2rem auto;background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceff3;vertical-align:top}
th{width:11rem;color:#555;font-weight:600}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;background:#eef;font-size:.85rem}
.ok{background:#e3f6e8}.bad{background:#fde8e8}.warn{background:#fff4d6}
textarea{width:100%;min-height:4rem;box-sizing:border-box;font:inherit}
button{font:inherit;padding:.5rem 1.2rem;border-radius:6px;border:1px solid #888;cursor:pointer;margin-right:.6rem}
button.approve{background:#1a7f37;color:#fff;border-color:#1a7f37}button.reject{background:#fff;color:#b42318;border-color:#b42318}
.muted{color:#595959;font-size:.9rem}ul{margin:.2rem 0;padding-left:1.2rem}
main.wide{max-width:min(1600px,calc(100% - 2rem))}
.run{background:#dbeafe}.muted-badge{background:#eceff3}
.crumbs{font-size:.9rem;margin-bottom:.4rem}
.next{border-left:4px solid #0b5cad;background:#f1f6fd;padding:.6rem .9rem;margin:.6rem 0 1rem;font-size:1.05rem}
.next.bad{border-color:#b42318;background:#fdf0ef}.next.ok{border-color:#1a7f37;background:#eef8f0}
table.grid th{width:auto;background:#f6f7f9}.scroll{overflow-x:auto}
.legend{font-size:.85rem;color:#444}.chips a{text-decoration:none;color:inherit}
.chips a:hover .badge,.chips a:focus .badge{outline:2px solid #0b5cad}
a{color:#0b5cad}code{font-size:.85rem;background:#f1f3f5;padding:0 .25rem;border-radius:3px;overflow-wrap:anywhere}
.decide button{min-width:8rem;padding:.7rem 1.4rem;font-weight:600}
@media (max-width:600px){main{margin:0;border:0;border-radius:0;padding:1rem}th{width:7rem}}`;

export interface PageOptions {
  /** Use the width of the screen (tables of the dashboard, plan and cluster pages). */
  readonly wide?: boolean;
}

/** The shared page layout; `title` and `body` go through the same escaping. */
export function page(title: string, body: Html, options: PageOptions = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="robots" content="noindex,nofollow" />
        <title>${title} · AKS Upgrade Warden</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <main class="${options.wide === true ? 'wide' : ''}">${body}</main>
      </body>
    </html>`.value;
}

/** Headers every page answers with: no caching of tokens, no referrer leaking them, no framing, no scripts. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/** The optional comment of every decision form (the use cases take at most 2,000 characters). */
export function commentField(): Html {
  return html`<p>
    <label for="comment">Comment (optional)</label><br /><textarea
      id="comment"
      name="comment"
      maxlength="2000"
    ></textarea>
  </p>`;
}
