/** Messages about one-time codes and second factors, shared by every flow that sends or checks them. */
export const codes = {
  'codes.sent': 'I sent a 6-digit code to {to}. It is valid for 10 minutes.',
  'codes.askCode': 'Please type the 6-digit code I sent to {to}.',
  'codes.choiceResend': 'Send a new code',
  'codes.choicePhone': 'SMS to {to}',
  'codes.choiceEmail': 'Email to {to}',
  'codes.format': 'A code has exactly 6 digits, like 123456. Please type it again.',
  'codes.wrong':
    'That code is not right. {remaining, plural, one {You have # more try.} other {You have # more tries.}}',
  'codes.expired': 'That code has expired (codes are valid for 10 minutes). Let us send a new one.',
  'codes.exhausted':
    'That code was entered wrongly too many times, so it no longer works. Let us send a new one.',
  'codes.missing': 'There is no valid code waiting for you any more. Let us send a new one.',
  'codes.cooldown':
    'I just sent you a code. Please wait {seconds, plural, one {# second} other {# seconds}} before asking for another one.',
  'codes.hourlyCap':
    'Too many codes were sent to this destination in the last hour. Please try again later, or pick another way.',
  'codes.deliveryFailed':
    'Sorry, we could not send the code right now. Nothing was changed. Please try again in a moment.',
  'codes.smsText':
    'lockstep: your code is {code}. It expires in 10 minutes. Type it only in your chat with the lockstep bot; nobody else needs it.',
  'codes.emailSubject': 'Your lockstep code',
  'codes.emailText':
    'Your lockstep code is {code}.\nIt expires in 10 minutes. Type it only in your chat with the lockstep bot; nobody else needs it, not even support staff.\nIf you did not ask for it, you can ignore this message; your account is unchanged.',
  'twofa.askCode':
    'Your account has two-step verification. Please type the 6-digit code from your authenticator app, or one of your recovery codes.',
  'twofa.wrong':
    'That code is not right. {remaining, plural, one {You have # more try.} other {You have # more tries.}}',
  'twofa.format':
    'Please type the 6-digit code from your authenticator app, or a recovery code (like abcd-efgh-ij).',
  'twofa.replay': 'That code was already used. Please wait for the next code in your app and type that one.',
  'twofa.tooMany': 'Too many wrong codes. For your safety this task was stopped. Nothing was changed.',
} as const;
