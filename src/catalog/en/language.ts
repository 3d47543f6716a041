/** Choosing the language (/language), each language's own name, and the plain words of every step. */
export const language = {
  'menu.language': 'Language',
  'language.title': 'choosing your language',
  'language.ask': 'I am speaking {current}. Which language should I use?',
  'language.changed':
    'Done: I will speak {language} from now on, here and in the SMS and emails about your account.',
  'language.changedChat': 'Done: I will speak {language} from now on.',
  'language.name.en': 'English',
  'language.name.zh-CN': '简体中文',
  'language.name.es': 'Español',
  'language.name.ru': 'Русский',
  // Plain words understood at every step as the commands /cancel, /help, /menu (never a password or a
  // code): a comma-separated list per language, matched whole, in any case. English ones always work too.
  'words.cancel': 'cancel, stop, quit, exit',
  'words.help': 'help',
  'words.menu': 'menu, start',
  'words.back': 'back, go back',
} as const;
