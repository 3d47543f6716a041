/** The security checkup: what it found, the fix buttons, the offers made after other tasks, the tip before /phone. */
export const checkup = {
  'menu.checkup': 'Security checkup',
  'checkup.title': 'your security checkup',
  'checkup.found': 'I looked at your account. Here is what would make it safer, most important first:',
  'checkup.resumed': 'Back to your security checkup.',
  'checkup.remaining': 'Here is what is left, most important first:',
  'checkup.finding.failedAttempts':
    '• Wrong passwords or codes were typed on your account recently ({count, plural, one {# time} other {# times}} in the last {days, plural, one {day} other {# days}}). If that was not you, look at your recent activity and pick "This was not me".',
  'checkup.finding.noEmail': '• Add an email: a second way back in if you lose your phone.',
  'checkup.finding.noPhone': '• Add a phone number: a second way back in if you lose your email.',
  'checkup.finding.twoFactorOff':
    '• Turn on two-step verification: then a stolen password alone is not enough to get in.',
  'checkup.finding.fewRecoveryCodes':
    '• Recovery codes left: {left} of 10. Make new ones before you run out, or a lost phone can lock you out.',
  'checkup.finding.passwordBelowPolicy':
    '• Your password is one that today’s rules would refuse (easy to guess, too short or holding your details). Choose a new, unique one.',
  'checkup.finding.passwordOld':
    '• Your password has not been changed since {since}. A new one makes old leaks useless.',
  'checkup.finding.passwordWeakHash':
    '• Your password is stored with older, weaker protection than today. Changing it stores it the new way.',
  'checkup.finding.staleDevices':
    '• Some devices are still signed in but were not used for {days, plural, one {# day} other {# days}} or more ({count}). If you do not know them all, sign out everywhere.',
  'checkup.ask': 'Pick one to fix it now. When it is done, I bring you back here. /cancel stops at any time.',
  'checkup.fix.activity': 'Review my recent activity',
  'checkup.fix.email': 'Add an email',
  'checkup.fix.phone': 'Add a phone number',
  'checkup.fix.twoFactor': 'Turn on two-step verification',
  'checkup.fix.recoveryCodes': 'Make new recovery codes',
  'checkup.fix.password': 'Change my password',
  'checkup.choiceLater': 'Not now',
  'checkup.willReturn': 'OK. When this is done, we go on with the checkup.',
  'checkup.later': 'OK, nothing was changed. Send /checkup whenever you want to go on.',
  'checkup.allGood':
    'All good: your account has a phone and an email, two-step verification is on, your password is in good shape and nothing unusual happened. A next checkup makes sense around {next}, or right away if something changes.',
  'checkup.endOfList':
    'That was the whole list, but not everything is fixed yet. Send /checkup whenever you want to see what is left.',
  'checkup.offer':
    'By the way: a quick security checkup found ways to make your account safer. Shall I show them?',
  'checkup.choiceShow': 'Show me',
  'checkup.phoneTip':
    'Tip: your account has no email yet. Add an email first, so you can still get in if the old number is lost.',
  'checkup.choiceAddEmailFirst': 'Add an email first',
  'checkup.choicePhoneAnyway': 'Change the phone number now',
} as const;
