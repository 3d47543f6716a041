/**
 * HTML made safe by construction: `html` is a tagged template that escapes every interpolated value unless
 * it is already `SafeHtml` (the result of another `html` call, or `raw` for markup we produced ourselves,
 * such as the QR code's SVG). Arrays are joined, `null`/`undefined`/`false` render nothing.
 *
 * @example html`<p>${userText}</p>` // `<script>` in userText arrives as `&lt;script&gt;`
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Markup produced by our own code (never from input). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
