import { isLocale, type Locale, type MessageKey, type MessageParams } from '../catalog/catalog.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Logger } from '../log.ts';

/** A security notice: an SMS text and an email, as catalog keys with values (rendered when it is sent). */
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
  /** The account's language (its `/language` choice); English when it has none. */
  readonly locale?: Locale;
}

/**
 * Sends a security notice to a phone and (when there is one) an email address, at the same time, in the
 * account's language. Services hand over keys and values only; the delivery layer renders them. A
 * notice that cannot be delivered is logged (the account and the notice's key, nothing else) and does
 * not undo the change it reports.
 *
 * @example
 * await sendNotice(deps, ownContacts(account), { sms: 'password.noticeSms', ... });
 */
export async function sendNotice(
  deps: { readonly delivery: Delivery; readonly log: Logger },
  to: NoticeRecipients,
  notice: Notice,
): Promise<void> {
  const locale = to.locale ?? 'en';
  const params = notice.params ?? {};
  const sends = [
    ...(to.phone
      ? [deps.delivery.send({ channel: 'sms', to: to.phone, locale, text: { key: notice.sms, params } })]
      : []),
    ...(to.email
      ? [
          deps.delivery.send({
            channel: 'email',
            to: to.email,
            locale,
            subject: { key: notice.emailSubject, params },
            text: { key: notice.emailText, params },
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

/** The language of an account's messages: its stored choice, English otherwise. */
export function accountLocale(account: { readonly locale?: string | undefined }): Locale {
  return isLocale(account.locale) ? account.locale : 'en';
}

/** The notice's recipients for an account: its own phone and email, in its language. */
export function ownContacts(account: {
  readonly id: string;
  readonly phone: string;
  readonly email: string | null;
  readonly locale?: string | undefined;
}): NoticeRecipients {
  return {
    accountId: account.id,
    phone: account.phone,
    email: account.email,
    locale: accountLocale(account),
  };
}
