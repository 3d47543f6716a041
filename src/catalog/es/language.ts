/** Choosing the language (/language), each language's own name, and the plain words of every step. */
export const language = {
  // "Language" stays beside the word, so that someone who reads no Spanish still finds the way back.
  'menu.language': 'Idioma (Language)',
  'language.title': 'elegir tu idioma',
  'language.ask': 'Idioma actual: {current}. ¿Qué idioma quieres que use?',
  'language.changed':
    'Listo. Idioma: {language}. A partir de ahora lo usaré aquí y en los SMS y correos sobre tu cuenta.',
  'language.changedChat': 'Listo. Idioma: {language}. A partir de ahora lo usaré en este chat.',
  'language.name.en': 'English',
  'language.name.zh-CN': '简体中文',
  'language.name.es': 'Español',
  'language.name.ru': 'Русский',
  // Plain words understood at every step as /cancel, /help, /menu (never a password or a code):
  // a comma-separated list, matched whole (written with and without accents). English ones always work too.
  'words.cancel': 'cancelar, parar, detener, salir, basta',
  'words.help': 'ayuda, ayúdame, ayudame',
  'words.menu': 'menú, menu, inicio, empezar',
  'words.back': 'volver, atrás, atras, regresar',
} as const;
