/** The change-password flow. */
export const changePassword = {
  'password.title': 'changing your password',
  'password.askCurrent':
    'Let us change your password. First, to make sure it is you, please type your current password.\nI will delete your message right after reading it.',
  'password.askCurrentAgain': 'Please type your current password again, or pick "I forgot my password".',
  'password.choiceForgot': 'I forgot my password',
  'password.wrongCurrent':
    'That is not your current password. {remaining, plural, one {You have # more try.} other {You have # more tries.}}',
  'password.locked':
    'Too many wrong passwords. For your safety, password changes are locked for {minutes, plural, one {# minute} other {# minutes}}. Nothing was changed. If this was not you, please contact support: {contact}',
  'password.pickDestination': 'No problem. Where should I send a one-time code to prove it is you?',
  'password.askNew':
    'Thanks, that is confirmed. Now type your new password.\nIt needs at least 8 characters with at least one letter and one digit; longer is better.',
  'password.askNewAgain': 'Please type a new password.',
  'password.askRepeat': 'Please type the new password once more, to make sure there is no typo.',
  'password.mismatch': 'The two passwords are not the same. Let us try again.',
  'password.reauthExpired':
    'It has been more than 5 minutes since you proved it is you, so for your safety please do that again.',
  'password.changed':
    'Done: your password was changed. {signedOut, plural, =0 {No device was signed in.} one {# signed-in session was signed out; sign in again with the new password.} other {# signed-in sessions were signed out; sign in again with the new password.}} I sent a notice to your phone and email.',
  'password.changedNoEmail':
    'Done: your password was changed. {signedOut, plural, =0 {No device was signed in.} one {# signed-in session was signed out; sign in again with the new password.} other {# signed-in sessions were signed out; sign in again with the new password.}} I sent a notice to your phone.',
  'password.noticeSms':
    'lockstep: the password of your account was changed. If this was not you, contact support right away: {contact}',
  'password.noticeEmailSubject': 'Your password was changed',
  'password.noticeEmailText':
    'The password of your lockstep account was changed just now, and all signed-in sessions were signed out.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
  'policy.tooShort': 'That password is too short: it needs at least 8 characters.',
  'policy.tooLong': 'That password is too long: at most 128 characters.',
  'policy.noLetter': 'That password has no letter: it needs at least one.',
  'policy.noDigit': 'That password has no digit: it needs at least one.',
  'policy.controlChars':
    'That password cannot contain invisible or control characters (like tabs or line breaks). Please type it again without them.',
  'policy.common': 'That password is among the most common passwords and easy to guess.',
  'policy.containsPhone': 'That password contains your phone number, which others may know.',
  'policy.containsEmail': 'That password contains your email address, which others may know.',
  'policy.containsAccountId':
    'That password contains your account number (the one that starts with acc_), which others may see.',
  'policy.sameAsCurrent': 'That is your current password; the new one must be different.',
} as const;
