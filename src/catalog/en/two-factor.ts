/** Turning two-step verification on and off, and new recovery codes. */
export const twoFactor = {
  'menu.twofa': 'Turn on two-step verification',
  'menu.twofaOn': 'Two-step verification: on',
  'twofa.titleOn': 'turning on two-step verification',
  'twofa.titleOff': 'turning off two-step verification',
  'twofa.titleRecovery': 'getting new recovery codes',
  'twofa.askPasswordOn':
    'Let us turn on two-step verification. Afterwards, important changes also need a 6-digit code from an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator or 1Password), so a stolen password alone is not enough.\nFirst, to make sure it is you, please type your password.\nI will delete your message right after reading it.',
  'twofa.askPasswordOff':
    'Let us turn off two-step verification. Your account will then be protected by your password alone.\nFirst, to make sure it is you, please type your password.\nI will delete your message right after reading it.',
  'twofa.askPasswordRecovery':
    'Let us make new recovery codes. The new codes replace all your old ones: the old ones stop working.\nFirst, to make sure it is you, please type your password.\nI will delete your message right after reading it.',
  'twofa.reauthExpired':
    'It has been more than 5 minutes since you proved it is you, so for your safety please do that once more. Nothing was changed yet.',
  'twofa.scan':
    'Here is your new key. Open your authenticator app, add an account and scan this QR code.\nIf you cannot scan it, pick "enter a key" in the app and type this key (spaces do not matter):\n{key}\nKeep this key to yourself: anyone who has it can make your codes.',
  'twofa.qrAlt': 'QR code to scan with your authenticator app',
  'twofa.askSetupCode':
    'When your app shows lockstep, type the 6-digit code it shows. Nothing is turned on until the code matches.',
  'twofa.choiceShowAgain': 'Show the QR code again',
  'twofa.choiceNoApp': 'I have no authenticator app',
  'twofa.noApp':
    "No problem. An authenticator app makes the codes on your phone, even without a network. Free ones are Google Authenticator, Microsoft Authenticator and 2FAS, in your phone's app store. Install one, then send /2fa again. Nothing was turned on.",
  'twofa.setupWrong':
    'That code does not match. Check that you scanned the QR code above, that the time on your phone is set automatically, and type the code your app shows now.',
  'twofa.setupFormat': 'The code from your app has exactly 6 digits, like 123456. Please type it again.',
  'twofa.recoveryCodes':
    'Two-step verification is now ON.\nHere are your 10 recovery codes. If you lose your phone, each of them works once instead of a code from the app. Write them down or save them in your password manager now: I will not show them again.\n{codes}',
  'twofa.askSaved': 'Did you save your recovery codes somewhere safe? Pick "I saved them" when you are done.',
  'twofa.choiceSaved': 'I saved them',
  'twofa.enabledDone':
    'All set. From now on I will ask for a code from your app when you change your password, phone number or email, or link a new chat. I sent a notice to your phone and email.',
  'twofa.alreadyOn': 'Two-step verification is already on for your account. What would you like to do?',
  'twofa.choiceTurnOff': 'Turn it off',
  'twofa.choiceNewCodes': 'Get new recovery codes',
  'twofa.choiceKeep': 'Keep it as it is',
  'twofa.choseOff':
    'Good to know before you decide: without two-step verification, anyone who learns your password can make changes to your account.',
  'twofa.choseNewCodes': 'Good idea if you used some of your codes or cannot find the list any more.',
  'twofa.kept': 'OK, nothing was changed. Two-step verification stays on.',
  'twofa.enableRaced':
    'Two-step verification was turned on meanwhile, from another chat. Nothing else was changed. If this was not you, please contact support: {contact}',
  'twofa.notOn':
    'Two-step verification is not on for your account, so there is nothing to turn off. To turn it on, send /2fa.',
  'twofa.notOnRecovery':
    'Two-step verification is not on for your account, so it has no recovery codes. To turn it on, send /2fa.',
  'twofa.disabledDone':
    'Done: two-step verification is now off. The entry in your authenticator app and your recovery codes no longer work; you can delete them. You can turn it on again at any time with /2fa. I sent a notice to your phone and email.',
  'twofa.newCodes':
    'Done: here are your 10 new recovery codes. Your old codes no longer work. Each new code works once. Save them now: I will not show them again.\n{codes}',
  'twofa.newCodesDone': 'All set. I sent a notice to your phone and email.',
  'twofa.noticeEnabledSms':
    'lockstep: two-step verification was turned on for your account. If this was not you, contact support right away: {contact}',
  'twofa.noticeEnabledSubject': 'Two-step verification was turned on',
  'twofa.noticeEnabledText':
    'Two-step verification was just turned on for your lockstep account. Important changes now need a code from your authenticator app.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
  'twofa.noticeDisabledSms':
    'lockstep: two-step verification was turned off for your account. If this was not you, contact support right away: {contact}',
  'twofa.noticeDisabledSubject': 'Two-step verification was turned off',
  'twofa.noticeDisabledText':
    'Two-step verification was just turned off for your lockstep account; it is now protected by the password alone.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
  'twofa.noticeRegeneratedSms':
    'lockstep: new recovery codes were made for your account; the old ones no longer work. If this was not you, contact support right away: {contact}',
  'twofa.noticeRegeneratedSubject': 'New recovery codes were made',
  'twofa.noticeRegeneratedText':
    'New recovery codes were just made for your lockstep account, and the old ones no longer work.\nIf this was you, there is nothing else to do.\nIf this was not you, contact support right away ({contact}): someone may have access to your account.',
} as const;
