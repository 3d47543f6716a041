/** The link-account flow, and the names of the channels a chat can be on. */
export const linkAccount = {
  'menu.link': '关联您的账户',
  'link.title': '关联您的账户',
  'link.askDestination':
    '我们来把这个聊天关联到您的账户。请输入您账户的手机号或邮箱地址。\n手机号请带上国家代码，以 + 开头，比如 +86 138 0013 8000。如果有账户使用您输入的号码或地址，我会向它发送一次性验证码。',
  'link.askDestinationAgain': '请输入您账户的手机号（以 + 和国家代码开头）或邮箱地址，我会发送新的验证码。',
  'link.field': '手机号或邮箱地址',
  'link.badDestination': '这看起来不像手机号或邮箱地址。请检查后重新输入。',
  'link.needCountryCode': '请输入带国家代码的手机号，以 + 开头，比如 +86 138 0013 8000。',
  'link.codeSent': '如果有账户使用 {to}，我已向它发送了 6 位验证码，10 分钟内有效。',
  'link.askCode': '请在这里输入验证码。如果几分钟内还没收到，请检查 {to} 是否正确，或选择下面的选项。',
  'link.choiceOther': '换一个手机号或邮箱',
  'link.tooMany':
    '过去一小时内，这个聊天或这个手机号、邮箱的关联尝试太多了。为了您的安全，我先停在这里，没有做任何更改。请一小时后再试。',
  'link.alreadyLinked':
    '这个聊天已经关联了一个账户，一个聊天只能关联一个账户。如需关联其他账户，请先发送 /unlink，再发送 /link。',
  'link.done':
    '完成：这个聊天已关联到您的账户。我已向账户的手机和邮箱发送了通知。发送 /menu 查看我能为您做什么。',
  'link.codeSms':
    'lockstep：将聊天关联到您账户的验证码是 {code}，10 分钟内有效。只在与机器人的聊天中输入；如非本人申请，请忽略。',
  'link.codeEmailSubject': '将聊天关联到您的 lockstep 账户的验证码',
  'link.codeEmailText':
    '将聊天关联到您的 lockstep 账户的验证码是 {code}。\n10 分钟内有效。请只在与 lockstep 机器人的聊天中输入，不要告诉任何人，包括客服人员。\n如果您没有申请过，可能有人误输了您的手机号或邮箱地址。您可以忽略这封邮件；您的账户不会有任何变化。',
  'link.noticeSms':
    'lockstep：刚刚有一个 {channel} 聊天关联到了您的账户。如非本人操作，请立即联系客服：{contact}',
  'link.noticeEmailSubject': '有新的聊天关联到了您的账户',
  'link.noticeEmailText':
    '刚刚有一个 {channel} 聊天关联到了您的 lockstep 账户。在那个聊天中，可以修改您的密码、手机号和其他安全设置。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
  'link.channel.telegram': 'Telegram',
  'link.channel.discord': 'Discord',
  'link.channel.console': '控制台',
} as const;
