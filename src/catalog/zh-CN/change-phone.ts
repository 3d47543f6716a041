/** The change-phone flow. */
export const changePhone = {
  'menu.phone': '修改手机号',
  'phone.title': '修改手机号',
  'phone.intro':
    '我们来修改您的手机号。首先，为了确认是您本人，我会向您当前的手机号 {phone} 发送 6 位验证码。\n如果您已经不用这个号码了，请选择下面的其他选项。',
  'phone.askNew':
    '好的，身份已确认。现在请输入新手机号。\n如果新号码和当前号码不是同一个国家或地区的，请以 + 和国家代码开头，比如 +86 138 0013 8000。然后我会向新号码发送验证码，确认号码无误。',
  'phone.askNewAgain': '请输入新手机号（其他国家或地区的号码以 + 和国家代码开头）。',
  'phone.invalid':
    '这不是有效的手机号。请检查数字；其他国家或地区的号码以 + 和国家代码开头，比如 +86 138 0013 8000。',
  'phone.same': '这已经是您当前的号码了。请输入新号码。',
  'phone.unavailable': '这个号码无法使用。请换一个号码：必须是您本人的、能接收短信的手机号。',
  'phone.tooManyNumbers':
    '过去一小时内尝试的手机号太多。为了您的安全，我先停在这里，没有做任何更改。请稍后再试。',
  'phone.newCodeSent': '我已向您的新号码 {to} 发送了 6 位验证码，10 分钟内有效。',
  'phone.askNewCode': '请输入我发送到 {to} 的 6 位验证码。如果号码不对，请选择“换一个号码”。',
  'phone.choiceOtherNumber': '换一个号码',
  'phone.newHourlyCap': '过去一小时内向这个号码发送的验证码太多了。请稍后再试，或换一个号码。',
  'phone.reauthExpired': '距离您确认身份已超过 5 分钟，为了您的安全，请再确认一次。没有做任何更改。',
  'phone.changed':
    '完成：您的手机号现在是 {phone}。今后验证码和通知都会发到这个号码。我已向您的旧号码和邮箱发送了通知。',
  'phone.changedNoEmail':
    '完成：您的手机号现在是 {phone}。今后验证码和通知都会发到这个号码。我已向您的旧号码发送了通知。',
  'phone.codeSms':
    'lockstep：将此号码设为账户手机号的验证码是 {code}，10 分钟内有效。只在与机器人的聊天中输入；如非本人申请，请忽略。',
  'phone.noticeOldSms': 'lockstep：您账户的手机号已改为 {to}。如非本人操作，请立即联系客服：{contact}',
  'phone.noticeEmailSubject': '您的手机号已被修改',
  'phone.noticeEmailText':
    '您的 lockstep 账户手机号刚刚从 {from} 改为 {to}。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
} as const;
