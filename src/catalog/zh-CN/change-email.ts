/** The add-or-change-email flow, its verification message and the notices it sends. */
export const changeEmail = {
  'menu.email': '添加或修改邮箱',
  'email.title': '添加或修改邮箱',
  'email.askPassword':
    '我们来设置您的邮箱地址。首先，为了确认是您本人，请输入您当前的密码。\n我读取后会立即删除您的消息。想不起密码？请选择“我忘记密码了”，我会改为向您的手机发送验证码。',
  'email.askAddressAdd':
    '好的，身份已确认。现在请输入要添加到账户的邮箱地址。\n然后我会向这个地址发一封邮件，确认它属于您；在您确认之前，不会有任何更改。',
  'email.askAddressChange':
    '好的，身份已确认。您当前的邮箱地址是 {current}。现在请输入您想改用的新地址。\n然后我会向这个地址发一封邮件，确认它属于您；在您确认之前，不会有任何更改。',
  'email.askAddressAgain': '请输入您想使用的邮箱地址，比如 name@example.com。',
  'email.invalid': '这看起来不像邮箱地址。请按 name@example.com 这样的格式输入。',
  'email.same': '这已经是您账户的邮箱地址了，无需更改。请输入其他地址，或发送 /cancel 保留现在的地址。',
  'email.taken':
    '无法添加这个地址：它已属于另一个账户。请输入其他地址。如果您认为这个地址是您的，请联系客服：{contact}',
  'email.tooManyAddresses':
    '过去一小时内尝试的地址太多，为了您的安全，这个任务已停止，没有做任何更改。请稍后再试。',
  'email.sent':
    '我已向 {to} 发送了一封邮件，里面有一个链接和一个 6 位验证码：打开链接并在页面上点击确认按钮（链接 30 分钟内有效），或在这里输入验证码（10 分钟内有效）。\n只要完成其中一种，您的邮箱地址就会更改，我会在这里告诉您。',
  'email.sentCodeOnly':
    '我已向 {to} 发送了 6 位验证码，10 分钟内有效。请在这里输入；验证码正确后，您的邮箱地址就会更改。',
  'email.askCode': '请输入我发送到 {to} 的邮件中的 6 位验证码，或打开邮件中的链接进行确认。',
  'email.askCodeOnly': '请输入我发送到 {to} 的 6 位验证码。',
  'email.choiceResend': '重新发送邮件',
  'email.choiceOther': '换一个地址',
  'email.codeExpired': '这个验证码已过期（验证码 10 分钟内有效）。请选择“重新发送邮件”获取新的验证码。',
  'email.codeExhausted': '这个验证码输错次数太多，已经失效。请选择“重新发送邮件”获取新的验证码。',
  'email.codeMissing': '现在没有等待您输入的有效验证码了。请选择“重新发送邮件”获取新的验证码。',
  'email.reauthExpired': '距离您确认身份已超过 5 分钟，为了您的安全，请再确认一次。我发送的邮件仍然有效。',
  'email.added': '完成：{email} 现在是您账户的邮箱地址。您可以用它登录和找回账户。我已向您的手机发送了通知。',
  'email.changed':
    '完成：您的邮箱地址现在是 {email}。您可以用它登录和找回账户。我已向您的手机和原邮箱发送了通知。',
  'email.verified':
    '您的邮箱已验证：新地址已通过邮件中的链接确认，并已保存到您的账户。您可以用它登录和找回账户。我已向您的手机发送了通知；如果您之前有邮箱，也已通知原邮箱。',
  'email.linkReauth':
    '邮件中的链接已确认，但距离您确认身份已超过 5 分钟，所以还没有做任何更改。为了您的安全，请先在这里再次确认身份，然后再点击一次那个页面上的按钮，或输入邮件中的验证码。',
  'email.linkDead': '邮件中的链接已确认，但它已失效（已过期，或被更新的邮件取代）。没有做任何更改。',
  'email.linkTaskEnded':
    '有人确认了我为验证您的新邮箱而发送的链接，但那次邮箱更改已经结束（已取消或超时），所以没有做任何更改。如果是您本人，请发送 /email 重新开始。',
  'email.linkTaskEndedPageTitle': '这次邮箱更改已结束',
  'email.linkTaskEndedPageBody':
    '这个链接对应的邮箱更改已在您与 lockstep 机器人的聊天中取消或超时，所以链接已失效。没有做任何更改。\n请向 lockstep 机器人发送 /email，重新开始更改邮箱。',
  'email.linkTaken':
    '新地址已通过链接确认，但它现在属于另一个账户，所以没有添加到您的账户。没有做任何更改。发送 /email 可以换一个地址。',
  'email.verifySubject': '确认您在 lockstep 使用的邮箱地址',
  'email.verifyText':
    '您好：\n\n有人（希望是您本人）申请把这个地址用于 lockstep 账户。如需确认，请在 30 分钟内打开这个链接：\n{link}\n\n或者在 10 分钟内，在与 lockstep 机器人的聊天中输入这个验证码：{code}\n\n请不要把链接或验证码告诉任何人，包括客服人员。如果不是您申请的，请忽略这封邮件：不会有任何更改。',
  'email.verifyTextCodeOnly':
    '您好：\n\n有人（希望是您本人）申请把这个地址用于 lockstep 账户。如需确认，请在 10 分钟内，在与 lockstep 机器人的聊天中输入这个验证码：{code}\n\n验证码只在那个聊天中输入；其他任何人都不需要它，客服人员也不需要。如果不是您申请的，请忽略这封邮件：不会有任何更改。',
  'email.noticeSmsAdded': 'lockstep：您的账户添加了邮箱 {email}。如非本人操作，请立即联系客服：{contact}',
  'email.noticeSmsChanged': 'lockstep：您账户的邮箱已改为 {email}。如非本人操作，请立即联系客服：{contact}',
  'email.noticeOldSubject': '您的邮箱地址已被修改',
  'email.noticeOldText':
    '您的 lockstep 账户邮箱刚刚从这个地址改为 {email}。今后验证码和安全通知都会发到新地址。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
} as const;
