/** Choosing the language (/language), each language's own name, and the plain words of every step. */
export const language = {
  // "Language" stays beside the word, so that someone who reads no Chinese still finds the way back.
  'menu.language': '语言 (Language)',
  'language.title': '选择语言',
  'language.ask': '我现在使用的是{current}。您想让我使用哪种语言？',
  'language.changed': '完成：今后我会用{language}和您交流，包括这里，以及有关您账户的短信和邮件。',
  'language.changedChat': '完成：今后我会用{language}和您交流。',
  'language.name.en': 'English',
  'language.name.zh-CN': '简体中文',
  'language.name.es': 'Español',
  'language.name.ru': 'Русский',
  // Plain words understood at every step as /cancel, /help, /menu (never a password or a code):
  // a comma-separated list, matched whole. English ones always work too.
  'words.cancel': '取消, 停止, 退出, 算了, 不要了, 不用了',
  'words.help': '帮助, 求助, 帮忙',
  'words.menu': '菜单, 主菜单, 开始',
  'words.back': '返回, 后退, 上一步',
} as const;
