/** Messages only the Telegram adapter shows: command descriptions, buttons, adapter-level notices. */
export const telegram = {
  'telegram.cmd.start': 'Начать и узнать, что я умею',
  'telegram.cmd.menu': 'Показать все задачи',
  'telegram.cmd.help': 'Как это работает',
  'telegram.cmd.support': 'Связаться с сотрудником поддержки',
  'telegram.cmd.cancel': 'Остановить текущую задачу (ничего не изменится)',
  'telegram.continuePrivately': 'Продолжить в личном чате',
  'telegram.badButton': 'Эта кнопка больше не работает. Отправьте /menu, чтобы начать заново.',
  'telegram.unsupportedMessage':
    'Я понимаю только текстовые сообщения. Напишите ответ текстом или отправьте /help, чтобы узнать, что я умею.',
  'telegram.editedIgnored':
    'Я читаю только новые сообщения, поэтому ваше исправление не увидел. Отправьте, пожалуйста, ответ ещё раз новым сообщением.',
  'telegram.secretNotDeleted':
    'Не получилось удалить ваше сообщение с секретными данными. Пожалуйста, удалите его сами прямо сейчас: нажмите на него и удерживайте (или щёлкните правой кнопкой) и выберите «Удалить».',
} as const;
