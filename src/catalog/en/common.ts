/** Messages of the engine itself: global commands, menu, errors that any flow can hit. */
export const common = {
  'common.welcome':
    'Hi! I am lockstep. I help you keep your account safe: change your password, update your phone or email, turn on two-step verification and more.\nPick what you want to do below, or send /help at any time.',
  'common.welcomeUnlinked':
    'Hi! I am lockstep. I help you keep your account safe.\nThis chat is not linked to an account yet. Link it first, then you can change your password, your phone, your email and more.',
  'common.menu': 'What would you like to do?',
  'common.helpTasks': 'The tasks you can start:\n{tasks}',
  'common.helpTask': '/{command} - {label}',
  'common.help':
    'Here is what I can do:\n/menu - show all tasks\n/cancel - stop the current task (nothing is changed)\n/help - this message\n\nDuring a task, just answer my questions. Nothing is changed until the very last step, and you can stop at any time with /cancel.',
  'common.cancelled': 'Stopped. Nothing was changed. Send /menu when you want to start something else.',
  'common.cancelledAfterChange':
    'Closed. The change you already confirmed stays in place; nothing else was changed. Send /menu when you want to start something else.',
  'common.nothingToCancel': 'There is nothing to cancel right now. Send /menu to see what I can do.',
  'common.notUnderstood':
    'Sorry, I did not understand that. Send /menu to see what I can do, or /help for help.',
  'common.unknownCommand': 'I do not know the command /{command}. Send /menu to see what I can do.',
  'common.pickOne': 'Please pick one of the options below.',
  'common.staleChoice': 'That button belongs to an earlier message. Here is where we are now:',
  'common.busyInFlow':
    'You are in the middle of another task ({flow}). Finish it first, or send /cancel to stop it.',
  'common.needLink':
    'This chat is not linked to an account yet, so I cannot do that. Link your account first with /link.',
  'common.needLinkNoFlow':
    'This chat is not linked to an account yet. An administrator can link it; afterwards, send /menu.',
  'common.privateOnly':
    'For your safety I only handle this in a private chat with me. Please open a private chat and send /{command} there.',
  'common.expired':
    'Your previous task ({flow}) stopped after {minutes, plural, one {# minute} other {# minutes}} without an answer, so nothing was changed. You can start again at any time.',
  'common.expiredAfterChange':
    'Your previous task ({flow}) was closed after {minutes, plural, one {# minute} other {# minutes}} without an answer. The change you had confirmed stays in place.',
  'common.flowReset':
    'I was updated while you were in the middle of a task ({flow}), so that task was reset. Nothing was changed. Please start it again.',
  'common.internalError':
    'Sorry, something went wrong on our side. Nothing was changed. Please try again in a moment, or send /cancel to start over.',
  'common.unavailable':
    'Sorry, I cannot reach my records right now, so I did not read your message. Nothing was changed. Please try again in a minute.',
  'common.secretNotDeleted':
    'I could not delete your message with the secret. Please delete it yourself now.',
  'common.tooLong':
    'That message is too long for me to read (at most 4,096 characters). Nothing was changed. Please send a shorter one.',
  'common.timeout':
    'Sorry, this is taking longer than it should. Nothing was changed. Please try again in a moment.',
  'common.secretDeleted': 'For your safety I deleted your message with the secret from this chat.',
  'common.startPayloadUnknown':
    'That link is not valid or has already been used. Send /menu to see what I can do.',
  'common.choiceCancel': 'Cancel',
  'common.choiceYes': 'Yes',
  'common.choiceNo': 'No',
  'common.unlinkedTitle': 'not linked',
  'menu.password': 'Change my password',
} as const;
