/** Choosing the language (/language), each language's own name, and the plain words of every step. */
export const language = {
  'menu.language': 'Язык',
  'language.title': 'выбор языка',
  'language.ask': 'Сейчас язык общения: {current}. На каком языке мне говорить?',
  'language.changed':
    'Готово: теперь язык общения — {language}. На нём же будут приходить SMS и письма о вашем аккаунте.',
  'language.changedChat': 'Готово: теперь язык общения — {language}.',
  'language.name.en': 'English',
  'language.name.zh-CN': '简体中文',
  'language.name.es': 'Español',
  'language.name.ru': 'Русский',
  // Plain words understood at every step as the commands /cancel, /help, /menu (never a password or a
  // code): a comma-separated list per language, matched whole, in any case. English ones always work too.
  'words.cancel': 'отмена, отменить, стоп, хватит, выход, выйти',
  'words.help': 'помощь, справка, помоги, ?',
  'words.menu': 'меню, начать, старт',
  'words.back': 'назад, вернуться, обратно',
} as const;
