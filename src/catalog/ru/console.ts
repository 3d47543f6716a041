/** The console demo adapter. */
export const consoleText = {
  'console.banner':
    'Демо lockstep в консоли. Введите /menu, чтобы посмотреть, что я умею, /help для помощи, /cancel, чтобы остановить задачу. Для выхода нажмите Ctrl-D.',
  'console.demoAccount':
    'К этой консоли привязан демо-аккаунт {id} (телефон {phone}, почта {email}). Его пароль: {password}',
  'console.demoAccountRedis':
    'Используется Redis. Демо-аккаунт {id} там уже есть и привязан к этой консоли; пароль у него прежний.',
  'console.linkedElsewhere':
    'Эта консоль привязана к аккаунту {id} (её привязал оператор), поэтому демо-аккаунт не использовался.',
  'console.demoUnlinked':
    'Демо-аккаунт {id} существует, но эта консоль к нему не привязана. Отправьте /link, чтобы привязать снова.',
  'console.outbox': '[outbox] {channel} на {to}: {text}',
  'console.outboxSubject': '[outbox] письмо на {to}, тема «{subject}»:\n{text}',
  'console.choice': '  {number}) {label}',
  'console.choiceHint': '(введите номер или текст варианта)',
  'console.secretHint': '(это секретный ответ; в Telegram и Discord он удаляется сразу после прочтения)',
  'console.bye': 'До свидания.',
  'console.imageAlt': '[картинка: {alt}]',
} as const;
