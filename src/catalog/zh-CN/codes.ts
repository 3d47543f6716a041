/** Messages about one-time codes and second factors, shared by every flow that sends or checks them. */
export const codes = {
  'codes.sent': '我已向 {to} 发送了 6 位验证码，10 分钟内有效。',
  'codes.askCode': '请输入我发送到 {to} 的 6 位验证码。',
  'codes.choiceResend': '重新发送验证码',
  'codes.choicePhone': '发短信到 {to}',
  'codes.choiceEmail': '发邮件到 {to}',
  'codes.format': '验证码正好是 6 位数字，比如 123456。请重新输入。',
  'codes.wrong': '验证码不正确。您还可以再试 {remaining} 次。',
  'codes.expired': '这个验证码已过期（验证码 10 分钟内有效）。我们重新发送一个。',
  'codes.exhausted': '这个验证码输错次数太多，已经失效。我们重新发送一个。',
  'codes.missing': '现在没有等待您输入的有效验证码了。我们重新发送一个。',
  'codes.cooldown': '我刚刚给您发过验证码。请等 {seconds} 秒再申请新的。',
  'codes.hourlyCap': '过去一小时内向这个地址发送的验证码太多了。请稍后再试，或换一种方式。',
  'codes.deliveryFailed': '抱歉，现在无法发送验证码，没有做任何更改。请稍后再试。',
  'codes.smsText':
    'lockstep：您的验证码是 {code}，10 分钟内有效。只在与 lockstep 机器人的聊天中输入；其他人都不需要它。',
  'codes.emailSubject': '您的 lockstep 验证码',
  'codes.emailText':
    '您的 lockstep 验证码是 {code}。\n10 分钟内有效。请只在与 lockstep 机器人的聊天中输入；其他任何人都不需要它，客服人员也不需要。\n如果您没有申请过验证码，可以忽略这封邮件；您的账户没有任何变化。',
  'twofa.askCode': '您的账户开启了两步验证。请输入身份验证器应用中的 6 位验证码，或者一个恢复码。',
  'twofa.wrong': '验证码不正确。您还可以再试 {remaining} 次。',
  'twofa.format': '请输入身份验证器应用中的 6 位验证码，或者一个恢复码（格式如 abcd-efgh-ij）。',
  'twofa.replay': '这个验证码已经用过了。请等应用中出现下一个验证码，再输入新的。',
  'twofa.tooMany': '错误的验证码太多。为了您的安全，这个任务已停止，没有做任何更改。',
} as const;
