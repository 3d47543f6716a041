/** The console demo adapter. */
export const consoleText = {
  'console.banner':
    'lockstep console demo. Type /menu to see what I can do, /help for help, /cancel to stop a task. Press Ctrl-D to quit.',
  'console.demoAccount':
    'Demo account {id} (phone {phone}, email {email}) is linked to this console. Its password is: {password}',
  'console.demoAccountRedis':
    'Using Redis. Demo account {id} already exists there and is linked to this console; it keeps the password it has.',
  'console.linkedElsewhere':
    'This console is linked to account {id} (an operator linked it), so the demo account was not used.',
  'console.demoUnlinked':
    'Demo account {id} exists, but this console is not linked to it. Send /link to link it again.',
  'console.outbox': '[outbox] {channel} to {to}: {text}',
  'console.outboxSubject': '[outbox] email to {to}, subject "{subject}":\n{text}',
  'console.choice': '  {number}) {label}',
  'console.choiceHint': '(type the number or the text of an option)',
  'console.secretHint':
    '(this answer is secret; in Telegram and Discord it is deleted right after it is read)',
  'console.bye': 'Bye.',
  'console.imageAlt': '[picture: {alt}]',
} as const;
