/** Messages only the Telegram adapter shows: command descriptions, buttons, adapter-level notices. */
export const telegram = {
  'telegram.cmd.start': 'Start and see what I can do',
  'telegram.cmd.menu': 'Show all tasks',
  'telegram.cmd.help': 'How this works',
  'telegram.cmd.support': 'Talk to a person from support',
  'telegram.cmd.cancel': 'Stop the current task (nothing is changed)',
  'telegram.continuePrivately': 'Continue in a private chat',
  'telegram.badButton': 'This button does not work any more. Send /menu to start again.',
  'telegram.unsupportedMessage':
    'I can only read text messages. Please type your answer, or send /help to see what I can do.',
  'telegram.editedIgnored':
    'I read only new messages, so I did not read your edit. Please send your answer again as a new message.',
  'telegram.secretNotDeleted':
    'I could not delete your message with the secret. Please delete it yourself now: long-press it (or right-click it) and choose Delete.',
} as const;
