import { t } from '../catalog/catalog.ts';
import { isKeyed, type KeyedMessage, type OutgoingMessage, type RenderedMessage } from './delivery.ts';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** The email's HTML alternative: the text's paragraphs, the link clickable, the code in bold. */
function htmlOf(text: string, hints: NonNullable<KeyedMessage['html']>): string {
  const { link, strong } = hints;
  const body = text
    .split('\n\n')
    .map((paragraph) => {
      const lines = paragraph.split('\n').map((line) => {
        if (link !== undefined && line.trim() === link) {
          const href = escapeHtml(link);
          return `<a href="${href}">${href}</a>`;
        }
        const escaped = escapeHtml(line);
        return strong ? escaped.replace(strong, `<strong>${strong}</strong>`) : escaped;
      });
      return `<p>${lines.join('<br>\n')}</p>`;
    })
    .join('\n');
  return `<!doctype html>\n<html><body>\n${body}\n</body></html>\n`;
}

/**
 * Renders a keyed message in its language (the edge: providers call this just before sending); a
 * rendered message is returned as it is.
 *
 * @example renderOutgoing({ channel: 'sms', to, locale: 'es', text: { key: 'codes.smsText', params: { code } } })
 */
export function renderOutgoing(message: OutgoingMessage): RenderedMessage {
  if (!isKeyed(message)) return message;
  const { channel, to, locale } = message;
  const text = t(locale, message.text.key, message.text.params);
  return {
    channel,
    to,
    text,
    ...(message.subject ? { subject: t(locale, message.subject.key, message.subject.params) } : {}),
    ...(message.html ? { html: htmlOf(text, message.html) } : {}),
  };
}
