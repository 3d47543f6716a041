/** The link-account flow, and the names of the channels a chat can be on. */
export const linkAccount = {
  'menu.link': 'Link your account',
  'link.title': 'linking your account',
  'link.askDestination':
    'Let us link this chat to your account. Please type the phone number or the email address of your account.\nType a phone number with its country code, starting with +, for example +44 7911 123456. If an account uses what you type, I will send a one-time code there.',
  'link.askDestinationAgain':
    'Please type the phone number (starting with + and the country code) or the email address of your account, and I will send a new code.',
  'link.field': 'Phone number or email address',
  'link.badDestination':
    'That does not look like a phone number or an email address. Please check it and type it again.',
  'link.needCountryCode':
    'Please type the phone number with its country code, starting with +, for example +44 7911 123456.',
  'link.codeSent': 'If an account uses {to}, I sent a 6-digit code there. It is valid for 10 minutes.',
  'link.askCode':
    'Please type the code here. If nothing arrives within a few minutes, check that {to} is right, or pick an option below.',
  'link.choiceOther': 'Use another phone number or email',
  'link.tooMany':
    'There were too many attempts to link an account in the last hour, from this chat or for this phone number or email. For your safety I stopped here, and nothing was changed. Please try again in an hour.',
  'link.alreadyLinked':
    'This chat is already linked to an account, and a chat can be linked to only one account. To link another one, send /unlink first, then /link.',
  'link.done':
    "Done: this chat is now linked to your account. I sent a notice to the account's phone and email. Send /menu to see what I can do for you.",
  'link.codeSms':
    'lockstep: your code to link a chat to your account is {code}. Valid for 10 min. Type it only in your chat with the bot. Not you? Ignore this.',
  'link.codeEmailSubject': 'Your code to link a chat to your lockstep account',
  'link.codeEmailText':
    'Your code to link a chat to your lockstep account is {code}.\nIt expires in 10 minutes. Never share it with anyone, including support staff.\nIf you did not ask for it, someone may have typed your phone number or email address by mistake. You can ignore this message; your account stays unchanged.',
  'link.noticeSms':
    'lockstep: a {channel} chat was linked to your account just now. If this was not you, contact support right away: {contact}',
  'link.noticeEmailSubject': 'A new chat was linked to your account',
  'link.noticeEmailText':
    'A {channel} chat was linked to your lockstep account just now. From that chat, your password, phone number and other security settings can be changed.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
  'link.channel.telegram': 'Telegram',
  'link.channel.discord': 'Discord',
  'link.channel.console': 'console',
} as const;
