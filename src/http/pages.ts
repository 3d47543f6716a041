import { createHash } from 'node:crypto';
import { type Locale, type MessageKey, t } from '../catalog/catalog.ts';

/** The outcome pages a person can land on after confirming an email-verification link (or too many tries). */
export type PageKind = 'verified' | 'expired' | 'used' | 'invalid' | 'error' | 'tooMany';

const pageKeys: Record<PageKind, { readonly title: MessageKey; readonly body: MessageKey }> = {
  verified: { title: 'web.verified.title', body: 'web.verified.body' },
  expired: { title: 'web.expired.title', body: 'web.expired.body' },
  used: { title: 'web.used.title', body: 'web.used.body' },
  invalid: { title: 'web.invalid.title', body: 'web.invalid.body' },
  error: { title: 'web.error.title', body: 'web.error.body' },
  tooMany: { title: 'web.tooMany.title', body: 'web.tooMany.body' },
};

// The only stylesheet, inline so the page needs no other request; the CSP allows exactly this text by hash.
const STYLE = [
  ':root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d2330;--muted:#525b6b;--ok:#1a7f37;--warn:#9a6700;--bad:#c62828}',
  '@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b1f26;--fg:#e8eaed;--muted:#aab1bd;--ok:#4ac26b;--warn:#d4a72c;--bad:#ff7b72}}',
  '*{box-sizing:border-box}',
  'body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1rem;background:var(--bg);color:var(--fg);font:1.0625rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:32rem;width:100%;background:var(--card);border-radius:12px;padding:2rem 1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12);border-top:6px solid var(--accent)}',
  'main.ok{--accent:var(--ok)}main.warn{--accent:var(--warn)}main.bad{--accent:var(--bad)}',
  '.brand{margin:0 0 1rem;font-size:.875rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:var(--muted)}',
  'h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}',
  'p{margin:0 0 .75rem}',
  '.hint{margin-top:1.5rem;font-size:.9375rem;color:var(--muted)}',
  'form{margin:1.5rem 0 0}',
  'button{width:100%;min-height:3rem;padding:.75rem 1rem;border:0;border-radius:8px;background:var(--accent);color:var(--card);font:inherit;font-weight:600;cursor:pointer}',
  'button:focus-visible{outline:3px solid var(--fg);outline-offset:2px}',
].join('');

const tone: Record<PageKind, 'ok' | 'warn' | 'bad'> = {
  verified: 'ok',
  expired: 'warn',
  used: 'warn',
  invalid: 'bad',
  error: 'bad',
  tooMany: 'warn',
};

/**
 * The Content-Security-Policy for every page rendered here: nothing may load or run except the one inline
 * stylesheet above, identified by its hash; forms may only post back to this server (the confirm page);
 * no scripts, images, frames or base-URL tricks, and no page may be framed.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * Renders one complete, self-contained outcome page (no external assets, no script). Every sentence comes
 * from the message catalog; line breaks in a message become paragraphs.
 *
 * @example renderPage('expired') // '<!doctype html><html lang="en">...This link has expired...'
 */
export function renderPage(kind: PageKind, locale: Locale = 'en'): string {
  const keys = pageKeys[kind];
  const content = `${paragraphs(locale, keys.body)}
<p class="hint">${escapeHtml(t(locale, 'web.closeHint'))}</p>`;
  return layout(locale, tone[kind], t(locale, keys.title), content);
}

/**
 * Renders the page a verification link opens: it changes nothing by itself (mail scanners open links
 * too), it only offers one button that POSTs the token back to `/verify-email`, where it is redeemed.
 * The token must already be validated (URL-safe base64); it is escaped anyway.
 *
 * @example renderConfirmPage(token) // '...<form method="post" action="/verify-email">...'
 */
export function renderConfirmPage(token: string, locale: Locale = 'en'): string {
  const content = `${paragraphs(locale, 'web.confirm.body')}
<form method="post" action="/verify-email" autocomplete="off">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">${escapeHtml(t(locale, 'web.confirm.button'))}</button>
</form>`;
  return layout(locale, 'ok', t(locale, 'web.confirm.title'), content);
}

function paragraphs(locale: Locale, key: MessageKey): string {
  return t(locale, key)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `<p>${escapeHtml(line)}</p>`)
    .join('\n');
}

function layout(locale: Locale, accent: 'ok' | 'warn' | 'bad', titleText: string, content: string): string {
  const title = escapeHtml(titleText);
  return `<!doctype html>
<html lang="${escapeHtml(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${title} - ${escapeHtml(t(locale, 'web.brand'))}</title>
<style>${STYLE}</style>
</head>
<body>
<main class="${accent}">
<p class="brand">${escapeHtml(t(locale, 'web.brand'))}</p>
<h1>${title}</h1>
${content}
</main>
</body>
</html>
`;
}
