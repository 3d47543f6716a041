/** The unlink-account flow. */
export const unlinkAccount = {
  'menu.unlink': 'Unlink this chat',
  'unlink.title': 'unlinking this chat',
  'unlink.confirm':
    'Do you want to unlink this chat from your account?\nAfterwards I cannot help you with your account here until you link it again with /link. Your account itself does not change.',
  'unlink.kept': 'OK, this chat stays linked. Nothing was changed.',
  'unlink.done':
    "Done: this chat is no longer linked to your account. I sent a notice to the account's phone and email. To link it again, send /link.",
  'unlink.notLinked': 'This chat was no longer linked to an account, so there was nothing to unlink.',
  'unlink.noticeSms':
    'lockstep: a {channel} chat was unlinked from your account just now. If this was not you, contact support right away: {contact}',
  'unlink.noticeEmailSubject': 'A chat was unlinked from your account',
  'unlink.noticeEmailText':
    'A {channel} chat was unlinked from your lockstep account just now. That chat can no longer change anything in your account.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
} as const;
