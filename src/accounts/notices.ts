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

/** Where a notice about an account goes: usually its phone and email, or e.g. its previous address. */
export interface NoticeRecipients {
  /** The account the notice is about (for the log line when a notice cannot be delivered). */
  readonly accountId: string;
  readonly phone: string | null;
  readonly email: string | null;
}

/**
 * Sends a security notice to a phone and (when there is one) an email address, at the same time. A notice
 * that cannot be delivered is logged (the account and the notice's key, nothing else) and does not undo
 * the change it reports.
 *
 * @example
 * await sendNotice(deps, { accountId: account.id, phone: account.phone, email: account.email }, notice);
 */
export async function sendNotice(
  deps: { readonly delivery: Delivery; readonly log: Logger },
  to: NoticeRecipients,
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
      deps.log.warn(
        { accountId: to.accountId, notice: notice.sms },
        'a security notice could not be delivered',
      );
  }
}

/** The notice's recipients for an account: its own phone and email. */
export function ownContacts(account: {
  readonly id: string;
  readonly phone: string;
  readonly email: string | null;
}): NoticeRecipients {
  return { accountId: account.id, phone: account.phone, email: account.email };
}
