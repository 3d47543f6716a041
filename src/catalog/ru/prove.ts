/** The prove-identity step (flows/steps/prove-identity.ts), shared by every task that needs a proof. */
export const prove = {
  'prove.askPassword':
    'Чтобы убедиться, что это вы, введите, пожалуйста, ваш текущий пароль.\nЯ удалю сообщение сразу после того, как прочитаю его.',
  'prove.askPasswordAgain': 'Пожалуйста, введите текущий пароль ещё раз или выберите «Не помню пароль».',
  'prove.askPasswordAgainOnly':
    'Пожалуйста, введите текущий пароль ещё раз. Если вы его не помните, отправьте /cancel, а затем /password, чтобы сначала задать новый.',
  'prove.choiceForgot': 'Не помню пароль',
  'prove.wrongPassword':
    'Это не ваш текущий пароль. {remaining, plural, one {Осталась # попытка} few {Осталось # попытки} many {Осталось # попыток} other {Осталось # попытки}}.',
  'prove.locked':
    'Слишком много неверных паролей. Ради вашей безопасности ввод пароля заблокирован на {minutes, plural, one {# минуту} few {# минуты} many {# минут} other {# минуты}}. Ничего не изменилось. Потом можно попробовать снова. Если это были не вы, обратитесь в поддержку: {contact}',
  'prove.lockedPickDestination':
    'Слишком много неверных паролей, поэтому ввод пароля заблокирован на {minutes, plural, one {# минуту} few {# минуты} many {# минут} other {# минуты}}. Ничего не изменилось.\nПодтвердить, что это вы, можно и одноразовым кодом. Куда его отправить?',
  'prove.pickDestination': 'Ничего страшного. Куда отправить одноразовый код, чтобы подтвердить, что это вы?',
  'prove.choicePassword': 'Лучше введу пароль',
  'prove.choiceNoAccess': 'Ничего из этого не подходит',
  'prove.choiceOtherWay': 'Другой способ',
  'prove.needSupport':
    'Тогда я не могу проверить здесь, что это вы, поэтому ничего не изменилось. Обратитесь, пожалуйста, в поддержку ({contact}): там смогут проверить вас другим способом и помогут вернуть доступ.',
  'prove.reauthExpired':
    'С момента подтверждения прошло больше 5 минут, поэтому ради вашей безопасности подтвердите, пожалуйста, ещё раз, что это вы. Пока ничего не изменилось.',
} as const;

/** Short labels of the fields a prompt asks for (a form field's label, e.g. in a Discord modal). */
export const fields = {
  'field.password': 'Пароль',
  'field.newPassword': 'Новый пароль',
  'field.code': 'Код',
  'field.appCode': 'Код из приложения или резервный код',
  'field.phone': 'Номер телефона',
  'field.email': 'Адрес почты',
} as const;
