/** The add-or-change-email flow, its verification message and the notices it sends. */
export const changeEmail = {
  'menu.email': 'Add or change my email',
  'email.title': 'adding or changing your email',
  'email.askPassword':
    'Let us set up your email address. First, to make sure it is you, please type your current password.\nI will delete your message right after reading it. No password at hand? Pick "I forgot my password" and I will text a code to your phone instead.',
  'email.askAddressAdd':
    'Thanks, that is confirmed. Now type the email address you want to add to your account.\nI will then send a message there to check that it is yours; nothing changes until you confirm it.',
  'email.askAddressChange':
    'Thanks, that is confirmed. Your current email address is {current}. Now type the new address you want to use instead.\nI will then send a message there to check that it is yours; nothing changes until you confirm it.',
  'email.askAddressAgain': 'Please type the email address you want to use, like name@example.com.',
  'email.invalid': 'That does not look like an email address. Please type it like name@example.com.',
  'email.same':
    'That is already the email address of your account, so there is nothing to change. Type a different address, or send /cancel to keep this one.',
  'email.taken':
    'That address cannot be added: it already belongs to another account. Please type a different address. If you think it is yours, contact support: {contact}',
  'email.tooManyAddresses':
    'Too many addresses were tried in the last hour, so for your safety this task was stopped. Nothing was changed. Please try again later.',
  'email.sent':
    'I sent a message to {to}. It holds a link and a 6-digit code: open the link and press the confirm button on that page (the link works for 30 minutes), or type the code here (it works for 10 minutes).\nAs soon as you do either, your email address is changed and I will tell you here.',
  'email.sentCodeOnly':
    'I sent a 6-digit code to {to}. It works for 10 minutes. Please type it here; your email address is changed as soon as the code is right.',
  'email.askCode':
    'Please type the 6-digit code from the message I sent to {to}, or open the link in that message and confirm.',
  'email.askCodeOnly': 'Please type the 6-digit code I sent to {to}.',
  'email.choiceResend': 'Send a new message',
  'email.choiceOther': 'Use a different address',
  'email.codeExpired':
    'That code has expired (codes work for 10 minutes). Pick "Send a new message" to get a new one.',
  'email.codeExhausted':
    'That code was typed wrongly too many times, so it no longer works. Pick "Send a new message" to get a new one.',
  'email.codeMissing':
    'There is no valid code waiting for you any more. Pick "Send a new message" to get a new one.',
  'email.reauthExpired':
    'It has been more than 5 minutes since you proved it is you, so for your safety please do that again. The message I sent stays valid.',
  'email.added':
    'Done: {email} is now the email address of your account. You can use it to sign in and to recover your account. I sent a notice to your phone.',
  'email.changed':
    'Done: your email address is now {email}. You can use it to sign in and to recover your account. I sent a notice to your phone and to your previous address.',
  'email.verified':
    'Your email is verified: the new address was confirmed with the link in the message, and it is now saved on your account. You can use it to sign in and to recover your account. I sent notices to your phone and, if you had one, to your previous address.',
  'email.linkReauth':
    'The link in the message was confirmed, but it has been more than 5 minutes since you proved it is you, so nothing was changed yet. For your safety, please prove it is you again here; then press the button on that page once more, or type the code from the message.',
  'email.linkDead':
    'The link in the message was confirmed, but it no longer works (it expired or a newer message replaced it). Nothing was changed.',
  'email.linkTaskEnded':
    'Someone confirmed the link in the message I sent to check your new email address, but that email change had already ended (it was cancelled or timed out), so nothing was changed. If it was you, send /email to start again.',
  // For the web page the link shows after its task ended (the HTTP layer shows its "expired" page today).
  'email.linkTaskEndedPageTitle': 'This email change has ended',
  'email.linkTaskEndedPageBody':
    'The email change this link belongs to was cancelled or timed out in your chat with the lockstep bot, so the link no longer works. Nothing was changed.\nPlease send /email to the lockstep bot to start the email change again.',
  'email.linkTaken':
    'The new address was confirmed with the link, but it now belongs to another account, so it was not added to yours. Nothing was changed. Send /email to use a different address.',
  // The verification message (link and code), composed by the email-verification service.
  'email.verifySubject': 'Confirm your email address for lockstep',
  'email.verifyText':
    'Hello,\n\nsomeone, hopefully you, asked to use this address for a lockstep account. To confirm it, open this link within 30 minutes:\n{link}\n\nOr type this code in your chat with the lockstep bot within 10 minutes: {code}\n\nNever share the link or the code with anyone, including support staff. If you did not ask for this, ignore this message: nothing will change.',
  'email.verifyTextCodeOnly':
    'Hello,\n\nsomeone, hopefully you, asked to use this address for a lockstep account. To confirm it, type this code in your chat with the lockstep bot within 10 minutes: {code}\n\nType the code only in that chat; nobody else needs it, not even support staff. If you did not ask for this, ignore this message: nothing will change.',
  'email.noticeSmsAdded':
    'lockstep: the email address {email} was added to your account. If this was not you, contact support right away: {contact}',
  'email.noticeSmsChanged':
    'lockstep: the email address of your account was changed to {email}. If this was not you, contact support right away: {contact}',
  'email.noticeOldSubject': 'Your email address was changed',
  'email.noticeOldText':
    'The email address of your lockstep account was changed from this address to {email} just now. Codes and security notices will go there from now on.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
} as const;
