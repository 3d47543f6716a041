/** The prove-identity step (flows/steps/prove-identity.ts), shared by every task that needs a proof. */
export const prove = {
  'prove.askPassword':
    'To make sure it is you, please type your current password.\nI will delete your message right after reading it.',
  'prove.askPasswordAgain': 'Please type your current password again, or pick "I forgot my password".',
  'prove.askPasswordAgainOnly':
    'Please type your current password again. If you forgot it, send /cancel and then /password to set a new one first.',
  'prove.choiceForgot': 'I forgot my password',
  'prove.wrongPassword':
    'That is not your current password. {remaining, plural, one {You have # more try.} other {You have # more tries.}}',
  'prove.locked':
    'Too many wrong passwords. For your safety the password step is locked for {minutes, plural, one {# minute} other {# minutes}}. Nothing was changed. You can try again after that. If this was not you, please contact support: {contact}',
  'prove.lockedPickDestination':
    'Too many wrong passwords, so the password step is locked for {minutes, plural, one {# minute} other {# minutes}}. Nothing was changed.\nYou can still prove it is you with a one-time code. Where should I send it?',
  'prove.pickDestination': 'No problem. Where should I send a one-time code to prove it is you?',
  'prove.choicePassword': 'Type my password instead',
  'prove.choiceNoAccess': 'I cannot use any of these',
  'prove.choiceOtherWay': 'Use another way',
  'prove.needSupport':
    'Then I cannot check here that it is you, so nothing was changed. Please contact support ({contact}): they can check it is you in another way and help you get back in.',
  'prove.reauthExpired':
    'It has been more than 5 minutes since you proved it is you, so for your safety please do that again. Nothing was changed yet.',
} as const;

/** Short labels of the fields a prompt asks for (a form field's label, e.g. in a Discord modal). */
export const fields = {
  'field.password': 'Password',
  'field.newPassword': 'New password',
  'field.code': 'Code',
  'field.appCode': 'Code from your app or a recovery code',
  'field.phone': 'Phone number',
  'field.email': 'Email address',
} as const;
