/** The web pages people open from a link in an email (confirm, then verify the email address). */
export const web = {
  'web.brand': 'lockstep',
  'web.closeHint': 'You can close this page now and go back to your chat with the lockstep bot.',
  'web.confirm.title': 'Confirm your new email address',
  'web.confirm.body':
    'Press the button below to finish changing the email address on your lockstep account; nothing changes until you do.',
  'web.confirm.button': 'Confirm my new email address',
  'web.verified.title': 'Your email address is confirmed',
  'web.verified.body':
    'Thank you: your email address is now confirmed. From now on we can send you codes and security notices there.',
  'web.expired.title': 'This link has expired',
  'web.expired.body':
    'For your safety, a confirmation link is valid for 30 minutes, and this one is older. Nothing was changed.\nPlease ask the lockstep bot for a new link: it only takes a moment.',
  'web.used.title': 'This link was already used',
  'web.used.body':
    'Each confirmation link works only once, and this one has already been used. If you just confirmed your email address, there is nothing else to do.\nIf you are not sure it worked, ask the lockstep bot for a new link.',
  'web.invalid.title': 'This link does not work',
  'web.invalid.body':
    'This confirmation link is not valid. It may have been cut off or mistyped when it was copied. Nothing was changed.\nPlease open the link straight from the email, or ask the lockstep bot for a new one.',
  'web.error.title': 'Something went wrong',
  'web.error.body':
    'Sorry, something went wrong on our side and your email address could not be confirmed right now. Nothing was changed.\nPlease try the same link again in a few minutes.',
  'web.tooMany.title': 'Please wait a moment',
  'web.tooMany.body':
    'This page was opened many times in a short while, so for your safety it is paused for a moment. Nothing was changed.\nPlease wait a minute, then open the link from your email again.',
} as const;
