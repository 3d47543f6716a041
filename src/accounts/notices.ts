import { type MessageKey, type MessageParams, t } from '../catalog/catalog.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Logger } from '../log.ts';

/** A security notice: an SMS text and an email, from the catalog. */
export interface Notice {
  readonly sms: MessageKey;
  readonly emailSubject: MessageKey;
  readonly emailText: MessageKey;
  readonly params?: MessageParams;
}

/**
 * Sends a security notice to a phone and (when there is one) an email address. A notice that cannot be
 * delivered is logged and does not undo the change it reports.
 */
export async function sendNotice(
  deps: { readonly delivery: Delivery; readonly log: Logger },
  to: { readonly phone: string | null; readonly email: string | null },
  notice: Notice,
): Promise<void> {
  const sends = [
    ...(to.phone
      ? [deps.delivery.send({ channel: 'sms', to: to.phone, text: t('en', notice.sms, notice.params) })]
      : []),
    ...(to.email
      ? [
          deps.delivery.send({
            channel: 'email',
            to: to.email,
            subject: t('en', notice.emailSubject, notice.params),
            text: t('en', notice.emailText, notice.params),
          }),
        ]
      : []),
  ];
  for (const outcome of await Promise.allSettled(sends)) {
    if (outcome.status === 'rejected')
      deps.log.warn({ notice: notice.sms }, 'a security notice could not be delivered');
  }
}
