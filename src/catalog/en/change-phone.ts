/** The change-phone flow. */
export const changePhone = {
  'menu.phone': 'Change my phone number',
  'phone.title': 'changing your phone number',
  'phone.intro':
    'Let us change your phone number. First, to make sure it is you, I will send a 6-digit code to your current number {phone}.\nIf you no longer have that number, pick one of the other options below.',
  'phone.askNew':
    'Thanks, that is confirmed. Now type your new phone number.\nIf it is from another country than your current number, start with + and the country code, for example +44 7911 123456. I will then send a code to the new number to make sure it is right.',
  'phone.askNewAgain':
    'Please type your new phone number (a number from another country starts with + and the country code).',
  'phone.invalid':
    'That is not a valid phone number. Please check the digits; a number from another country starts with + and the country code, for example +44 7911 123456.',
  'phone.same': 'That is already your current number. Please type the new one.',
  'phone.unavailable':
    'This number cannot be used. Please use another one. It must be a mobile number of your own that can receive SMS.',
  'phone.tooManyNumbers':
    'Too many phone numbers were tried in the last hour. For your safety I stopped here, and nothing was changed. Please try again later.',
  'phone.newCodeSent': 'I sent a 6-digit code to your new number {to}. It is valid for 10 minutes.',
  'phone.askNewCode':
    'Please type the 6-digit code I sent to {to}. If that number is not right, pick "Use another number".',
  'phone.choiceOtherNumber': 'Use another number',
  'phone.newHourlyCap':
    'Too many codes were sent to that number in the last hour. Please try again later, or use another number.',
  'phone.reauthExpired':
    'It has been more than 5 minutes since you proved it is you, so for your safety please do that again. Nothing was changed.',
  'phone.changed':
    'Done: your phone number is now {phone}. Codes and notices go there from now on. I sent a notice to your old number and to your email.',
  'phone.changedNoEmail':
    'Done: your phone number is now {phone}. Codes and notices go there from now on. I sent a notice to your old number.',
  'phone.codeSms':
    'lockstep: your code to make this the phone number of your account is {code}. Valid for 10 min. Type it only in your chat with the bot. Not you? Ignore this.',
  'phone.noticeOldSms':
    'lockstep: the phone number of your account was changed to {to}. If this was not you, contact support right away: {contact}',
  'phone.noticeEmailSubject': 'Your phone number was changed',
  'phone.noticeEmailText':
    'The phone number of your lockstep account was changed just now from {from} to {to}.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
} as const;
