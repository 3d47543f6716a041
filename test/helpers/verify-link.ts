import { t } from '../../src/catalog/catalog.ts';
import { escapeHtml } from '../../src/http/pages.ts';

/** What opening an email-verification link shows: the confirm page, which changes nothing by itself. */
export interface OpenedLink {
  readonly status: number;
  readonly body: string;
  /** The token in the page's hidden form field; null when the page has no confirm form. */
  readonly token: string | null;
  /** True when the page is the confirm page: its title and the single "confirm" button. */
  readonly isConfirmPage: boolean;
  /** Presses the button, as a browser would: POSTs the form to the page's `/verify-email`. */
  confirm(): Promise<{ readonly status: number; readonly body: string }>;
}

/**
 * Opens a verification link with a GET (what a mail scanner or the person's browser does) and reads the
 * confirm form out of the page; `confirm()` then submits that form.
 *
 * @example
 * const opened = await openVerifyLink(link);
 * expect(opened.isConfirmPage).toBe(true);
 * expect((await opened.confirm()).status).toBe(200);
 */
export async function openVerifyLink(link: string): Promise<OpenedLink> {
  const response = await fetch(link);
  const body = await response.text();
  const form = /<form method="post" action="(\/verify-email)"[^>]*>([\s\S]*?)<\/form>/.exec(body);
  const token = /<input type="hidden" name="token" value="([^"]*)">/.exec(form?.[2] ?? '')?.[1] ?? null;
  const buttons = body.match(/<button\b/g) ?? [];
  const isConfirmPage =
    form !== null &&
    body.includes(`<h1>${escapeHtml(t('en', 'web.confirm.title'))}</h1>`) &&
    buttons.length === 1 &&
    body.includes(`<button type="submit">${escapeHtml(t('en', 'web.confirm.button'))}</button>`);
  return {
    status: response.status,
    body,
    token,
    isConfirmPage,
    async confirm() {
      if (form === null || token === null) throw new Error('the page has no confirm form');
      const posted = await fetch(new URL(form[1] ?? '', link), {
        method: 'POST',
        body: new URLSearchParams({ token }),
      });
      return { status: posted.status, body: await posted.text() };
    },
  };
}
