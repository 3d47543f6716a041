/** Messages about reaching a person from support, and about handoffs from a support agent into a task. */
export const support = {
  'support.defaultContact': '您所使用服务的客服团队',
  'support.choiceTalk': '联系客服',
  'support.choiceLostApp': '我的应用和恢复码都丢了',
  'support.escalated':
    '我已请客服团队的工作人员来帮助您，他们会在这里给您发消息。在那之前，我不会在这个聊天中开始任何任务。您也可以通过这里联系他们：{contact}',
  'support.withPerson':
    '客服团队的工作人员正在处理这件事，会在这里给您发消息。您也可以通过这里联系他们：{contact}',
  'support.contactOnly': '您可以通过这里联系我们的客服团队：{contact}',
  'support.agentMessage': '来自客服团队的消息：\n\n{message}',
  'support.released': '客服团队已处理完毕，我回来了。发送 /menu 查看我能帮您做什么。',
  'support.releasedWithHandoff': '客服团队已处理完毕，并为您准备好了下一步。我现在带您完成。',
  'support.handoffReady':
    '客服团队为您准备了一个引导任务。准备好后（如有正在进行的任务，请先发送 /cancel），请发送：{command}',

  // ---- the handoff flow ---------------------------------------------------------------------------------
  'handoff.title': '继续完成客服准备的任务',
  'handoff.opened': '您好！客服团队的工作人员为您准备了：{task}。首先我需要确认是您本人。',
  'handoff.openedLinked': '您好！客服团队的工作人员为您准备了：{task}。我们开始吧。',
  'handoff.pickDestination': '我应该把一次性验证码发到哪里，来确认是您本人？请选择您现在能用的一个。',
  'handoff.linked': '谢谢，已确认是您本人。这个聊天现已关联到您的账户。',
  'handoff.invalid':
    '这个客服代码无效。请确认您打开的是完整的链接，或复制了完整的代码，也可以向客服人员要一个新的。',
  'handoff.used': '这个客服代码已经用过了：每个代码只能用一次。请向客服人员要一个新的。',
  'handoff.expired': '这个客服代码已过期。请向客服人员要一个新的。',
  'handoff.otherAccount':
    '这个客服代码属于另一个账户，不是这个聊天关联的账户，所以我没有使用它，也没有做任何更改。请向客服人员确认它对应哪个账户。',
  'handoff.tooMany': '这个聊天中尝试的客服代码太多了。为了您的安全，请等 {minutes} 分钟后再试。',
  'handoff.completed': '全部完成。客服人员可以看到这件事已经办好了。谢谢您！',
} as const;
