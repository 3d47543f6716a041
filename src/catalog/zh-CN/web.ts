/** The web pages people open from a link in an email (confirm, then verify the email address). */
export const web = {
  'web.brand': 'lockstep',
  'web.closeHint': '现在可以关闭这个页面，回到与 lockstep 机器人的聊天。',
  'web.confirm.title': '确认您的新邮箱地址',
  'web.confirm.body': '点击下面的按钮，完成您 lockstep 账户的邮箱地址更改；在您点击之前，不会有任何更改。',
  'web.confirm.button': '确认我的新邮箱地址',
  'web.verified.title': '您的邮箱地址已确认',
  'web.verified.body': '谢谢：您的邮箱地址现已确认。今后我们可以把验证码和安全通知发到这个地址。',
  'web.expired.title': '这个链接已过期',
  'web.expired.body':
    '为了您的安全，确认链接的有效期是 30 分钟，这个链接已经超时了。没有做任何更改。\n请向 lockstep 机器人要一个新链接，只需要一会儿。',
  'web.used.title': '这个链接已经用过了',
  'web.used.body':
    '每个确认链接只能用一次，这个链接已经用过了。如果您刚刚确认了邮箱地址，无需再做什么。\n如果不确定是否成功，请向 lockstep 机器人要一个新链接。',
  'web.invalid.title': '这个链接无效',
  'web.invalid.body':
    '这个确认链接无效，可能在复制时被截断或输错了。没有做任何更改。\n请直接从邮件中打开链接，或向 lockstep 机器人要一个新链接。',
  'web.error.title': '出了点问题',
  'web.error.body':
    '抱歉，我们这边出了点问题，暂时无法确认您的邮箱地址。没有做任何更改。\n请过几分钟再试一次同一个链接。',
  'web.tooMany.title': '请稍等',
  'web.tooMany.body':
    '这个页面在短时间内被打开了很多次，为了您的安全，暂时停用一会儿。没有做任何更改。\n请等一分钟，然后从邮件中重新打开链接。',
} as const;
