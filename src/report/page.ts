import { loadAssets, sha256Base64 } from './assets.js';

/**
 * One self-contained report page and the escaping every page uses. Everything that is user data
 * (labels, descriptions, log lines, ids) goes through `esc` or `jsonScript`; the page's
 * Content-Security-Policy allows only the inline scripts whose hashes it lists and no network at
 * all, so an escaping slip cannot run code or phone home.
 */

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON safe to put inside <script type="application/json">: no `</script>`, no `<!--`. */
export function jsonScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A POSIX-shell rendering of an argv, so the replay command can be pasted as is. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface PageParts {
  title: string;
  body: string;
  data: unknown;
}

/** One self-contained page: styles, uPlot, data and the client script, all inline. */
export function page(parts: PageParts): string {
  const a = loadAssets();
  const clientJs = a.clientJs;
  const uplotJs = a.uplotJs;
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256Base64(uplotJs)}' 'sha256-${sha256Base64(clientJs)}'`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="amchaos report (uPlot ${esc(a.uplotVersion)})">
<title>${esc(parts.title)}</title>
<style>${a.uplotCss}</style>
<style>${a.clientCss}</style>
</head>
<body>
${parts.body}
<script type="application/json" id="amchaos-data">${jsonScript(parts.data)}</script>
<script>${uplotJs}</script>
<script>${clientJs}</script>
</body>
</html>
`;
}
