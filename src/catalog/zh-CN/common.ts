/** Messages of the engine itself: global commands, menu, errors that any flow can hit. */
export const common = {
  'common.welcome':
    '您好！我是 lockstep，帮您保护账户安全：修改密码、更新手机号或邮箱、开启两步验证等。\n请在下面选择要做的事，也可以随时发送 /help 查看帮助。',
  'common.welcomeUnlinked':
    '您好！我是 lockstep，帮您保护账户安全。\n这个聊天还没有关联账户。请先关联，之后就可以修改密码、手机号、邮箱等。',
  'common.menu': '您想做什么？',
  'common.help':
    '我可以帮您做这些：\n/menu - 查看所有任务\n/cancel - 停止当前任务（不会做任何更改）\n/help - 显示这条帮助\n\n在任务中，只需回答我的问题。直到最后一步之前都不会更改任何内容，您也可以随时发送 /cancel 停止。',
  'common.helpTasks': '您可以开始这些任务：\n{tasks}',
  'common.helpTask': '/{command} - {label}',
  'common.cancelled': '已停止，没有做任何更改。想做别的事时，请发送 /menu。',
  'common.cancelledAfterChange':
    '已结束。您已确认的更改会保留，其他内容都没有更改。想做别的事时，请发送 /menu。',
  'common.nothingToCancel': '现在没有可以取消的任务。发送 /menu 查看我能做什么。',
  'common.notUnderstood': '抱歉，我没看懂。发送 /menu 查看我能做什么，或发送 /help 获取帮助。',
  'common.unknownCommand': '我不认识 /{command} 这个命令。发送 /menu 查看我能做什么。',
  'common.pickOne': '请从下面的选项中选择一个。',
  'common.staleChoice': '这个按钮属于之前的消息。我们现在进行到这里：',
  'common.busyInFlow': '您正在进行另一个任务（{flow}）。请先完成它，或发送 /cancel 停止。',
  'common.needLink': '这个聊天还没有关联账户，所以我还不能做这件事。请先发送 /link 关联您的账户。',
  'common.needLinkNoFlow': '这个聊天还没有关联账户。管理员可以为您关联；关联后请发送 /menu。',
  'common.privateOnly': '为了您的安全，这件事我只在与我的私聊中处理。请打开私聊，在那里发送 /{command}。',
  'common.expired':
    '您之前的任务（{flow}）因 {minutes} 分钟没有回复已停止，没有做任何更改。您可以随时重新开始。',
  'common.expiredAfterChange':
    '您之前的任务（{flow}）因 {minutes} 分钟没有回复已结束。您已确认的更改会保留。',
  'common.flowReset':
    '您在进行任务（{flow}）时我进行了更新，所以这个任务已重置，没有做任何更改。请重新开始。',
  'common.internalError': '抱歉，我们这边出了点问题，没有做任何更改。请稍后再试，或发送 /cancel 重新开始。',
  'common.unavailable': '抱歉，我现在无法读取记录，所以没有处理您的消息，也没有做任何更改。请过一分钟再试。',
  'common.secretNotDeleted': '我没能删除您那条包含密码或验证码的消息。请现在自己删除它。',
  'common.tooLong': '这条消息太长了，我无法读取（最多 4,096 个字符）。没有做任何更改。请发一条短一些的。',
  'common.timeout': '抱歉，处理时间比预期的长。没有做任何更改。请稍后再试。',
  'common.secretDeleted': '为了您的安全，我已从这个聊天中删除了您那条包含密码或验证码的消息。',
  'common.startPayloadUnknown': '这个链接无效或已被使用。发送 /menu 查看我能做什么。',
  'common.choiceCancel': '取消',
  'common.choiceYes': '是',
  'common.choiceNo': '否',
  'common.unlinkedTitle': '未关联',
  'menu.password': '修改密码',
} as const;
