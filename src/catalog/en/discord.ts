/** Messages only the Discord adapter shows: command descriptions, buttons, forms, adapter-level notices. */
export const discord = {
  'discord.cmd.security': 'See what I can do to keep your account safe',
  'discord.cmd.menu': 'Show all tasks (the same as /security)',
  'discord.cmd.help': 'How this works',
  'discord.cmd.cancel': 'Stop the current task (nothing is changed)',
  'discord.cmd.support': 'Talk to a person from support',
  'discord.cmd.start': 'Start and see what I can do',
  'discord.cmd.recover': 'Continue with the code a support agent gave you',
  'discord.cmd.recoverCode': 'The code from the support agent',
  'discord.cmd.task': 'A security task',
  'discord.formButton': 'Continue',
  'discord.continueInDm': 'Continue in my DMs',
  'discord.secretHint':
    'Press Continue to type it in a private form that only you can see. Never type it as a message.',
  'discord.textHint': 'Press Continue to type your answer.',
  'discord.textHintDm': 'Type your answer here, or press Continue to use a form.',
  'discord.modalTitle': 'lockstep',
  'discord.field.answer': 'Your answer',
  'discord.field.secret': 'Password or code',
  'discord.field.repeat': 'The same again, to rule out a typo',
  'discord.field.secretNote': 'Only you can see what you type here. It is not posted in the chat.',
  'discord.staleButton':
    'That button (or form) belongs to an earlier step, so I did not use it. Nothing was changed. Here is where we are now:',
  'discord.staleNothing':
    'That button (or form) belongs to an earlier step, so I did not use it. Nothing was changed, and nothing is waiting for an answer right now. Send /security to see what I can do.',
  'discord.stepBusy': 'I am still working on your last answer. Please wait a moment.',
  'discord.secretInDm':
    'I did not use that message: passwords and codes go only into the private form, so press Continue below. I cannot delete your message in a direct message, so please delete it yourself now: hover over it (or long-press it) and choose Delete.',
  'discord.secretChangeIt':
    'If that was a real password, please change it soon: a message can stay in your chat history and in notifications.',
  'discord.secretNotDeleted':
    'I cannot delete your message in a direct message, so please delete it yourself now: hover over it (or long-press it) and choose Delete.',
  'discord.secretDeletedServer':
    'You typed a message in a server channel while I was waiting for a password or code from you. For your safety I deleted it and did not use it. Passwords and codes go only into the private form: press Continue on my message that only you can see.',
  'discord.secretNotDeletedServer':
    'You typed a message in a server channel while I was waiting for a password or code from you. I did not use it, but I could not delete it (I need the Manage Messages permission there), so please delete it yourself now. Passwords and codes go only into the private form: press Continue on my message that only you can see.',
  'discord.secretPublicNotice':
    'Please never type a password or code in a channel: use the Continue button on my message that only you can see.',
  'discord.unsupportedMessage':
    'I can only read text messages. Please type your answer, or send /help to see what I can do.',
  'discord.dmClosed':
    'I tried to write to you in a direct message, but your DMs are closed for me, so here is what I wanted to tell you:',
  'discord.dmClosedStart':
    'I cannot write to you in a direct message because your DMs are closed for me. To allow them, open the server menu, choose Privacy Settings and turn on Direct Messages. Or simply continue here.',
  'discord.movedToDm': 'I wrote to you in a direct message. Please continue there.',
  'discord.dmHello': 'Here we are, in private. Let us continue:',
  'discord.lateReply':
    'Too much time had passed to answer you in the server, so here is my answer in a direct message:',
  'discord.stopping':
    'I am restarting right now, so I did not read that. Nothing was changed. Please try again in a minute.',
} as const;
