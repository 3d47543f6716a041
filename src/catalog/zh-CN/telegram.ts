/** Messages only the Telegram adapter shows: command descriptions, buttons, adapter-level notices. */
export const telegram = {
  'telegram.cmd.start': '开始，看看我能做什么',
  'telegram.cmd.menu': '查看所有任务',
  'telegram.cmd.help': '使用说明',
  'telegram.cmd.support': '联系客服人员',
  'telegram.cmd.cancel': '停止当前任务（不会做任何更改）',
  'telegram.continuePrivately': '在私聊中继续',
  'telegram.badButton': '这个按钮已经失效了。请发送 /menu 重新开始。',
  'telegram.unsupportedMessage': '我只能读取文字消息。请输入您的回答，或发送 /help 查看我能做什么。',
  'telegram.editedIgnored': '我只读取新消息，所以没有读取您编辑过的内容。请把回答作为新消息再发一次。',
  'telegram.secretNotDeleted':
    '我没能删除您那条包含密码或验证码的消息。请现在自己删除：长按（或右键点击）这条消息，然后选择“删除”。',
} as const;
