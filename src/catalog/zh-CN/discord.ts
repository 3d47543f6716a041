/** Messages only the Discord adapter shows: command descriptions, buttons, forms, adapter-level notices. */
export const discord = {
  'discord.cmd.security': '看看我能怎样帮您保护账户安全',
  'discord.cmd.menu': '查看所有任务（与 /security 相同）',
  'discord.cmd.help': '使用说明',
  'discord.cmd.cancel': '停止当前任务（不会做任何更改）',
  'discord.cmd.support': '联系客服人员',
  'discord.cmd.start': '开始，看看我能做什么',
  'discord.cmd.recover': '使用客服人员给您的代码继续',
  'discord.cmd.recoverCode': '客服人员给您的代码',
  'discord.cmd.task': '一项安全任务',
  'discord.formButton': '继续',
  'discord.continueInDm': '在私信中继续',
  'discord.secretHint': '请点击“继续”，在只有您能看到的私密表单中输入。不要把它作为消息发送。',
  'discord.textHint': '请点击“继续”输入您的回答。',
  'discord.textHintDm': '请在这里输入您的回答，或点击“继续”使用表单。',
  'discord.modalTitle': 'lockstep',
  'discord.field.answer': '您的回答',
  'discord.field.secret': '密码或验证码',
  'discord.field.repeat': '再输入一次，以防输错',
  'discord.field.secretNote': '您在这里输入的内容只有您能看到，不会发到聊天中。',
  'discord.staleButton':
    '这个按钮（或表单）属于之前的步骤，所以我没有使用它，也没有做任何更改。我们现在进行到这里：',
  'discord.staleNothing':
    '这个按钮（或表单）属于之前的步骤，所以我没有使用它，也没有做任何更改；现在也没有需要回答的问题。发送 /security 查看我能做什么。',
  'discord.stepBusy': '我还在处理您上一条回答，请稍等。',
  'discord.secretInDm':
    '我没有使用那条消息：密码和验证码只能在私密表单中输入，请点击下面的“继续”。在私信中我无法删除您的消息，请现在自己删除：将鼠标悬停在消息上（或长按），然后选择“删除”。',
  'discord.secretChangeIt': '如果那是真实的密码，请尽快修改：消息可能会留在聊天记录和通知中。',
  'discord.secretNotDeleted':
    '在私信中我无法删除您的消息，请现在自己删除：将鼠标悬停在消息上（或长按），然后选择“删除”。',
  'discord.secretDeletedServer':
    '我在等您输入密码或验证码时，您在服务器频道里发了一条消息。为了您的安全，我已删除它，也没有使用它。密码和验证码只能在私密表单中输入：请点击我那条只有您能看到的消息上的“继续”。',
  'discord.secretNotDeletedServer':
    '我在等您输入密码或验证码时，您在服务器频道里发了一条消息。我没有使用它，但无法删除它（我在那里需要“管理消息”权限），请现在自己删除。密码和验证码只能在私密表单中输入：请点击我那条只有您能看到的消息上的“继续”。',
  'discord.secretPublicNotice':
    '请不要在频道里输入密码或验证码：请使用我那条只有您能看到的消息上的“继续”按钮。',
  'discord.unsupportedMessage': '我只能读取文字消息。请输入您的回答，或发送 /help 查看我能做什么。',
  'discord.dmClosed': '我试着给您发私信，但您对我关闭了私信，所以我把想告诉您的内容发在这里：',
  'discord.dmClosedStart':
    '您对我关闭了私信，所以我无法给您发私信。如需开启，请打开服务器菜单，选择“隐私设置”，然后开启“私信”。也可以直接在这里继续。',
  'discord.movedToDm': '我给您发了私信，请在那里继续。',
  'discord.dmHello': '我们现在在私聊中了。继续吧：',
  'discord.lateReply': '时间过去太久，无法在服务器中回复您，所以我通过私信回复：',
  'discord.stopping': '我正在重启，所以没有读取那条消息，也没有做任何更改。请过一分钟再试。',
} as const;
