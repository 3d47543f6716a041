/** The change-password flow. */
export const changePassword = {
  'password.title': '修改密码',
  'password.askCurrent':
    '我们来修改您的密码。首先，为了确认是您本人，请输入您当前的密码。\n我读取后会立即删除您的消息。',
  'password.askCurrentAgain': '请再次输入您当前的密码，或选择“我忘记密码了”。',
  'password.choiceForgot': '我忘记密码了',
  'password.wrongCurrent': '这不是您当前的密码。您还可以再试 {remaining} 次。',
  'password.locked':
    '密码错误次数太多。为了您的安全，修改密码已锁定 {minutes} 分钟，没有做任何更改。如果不是您本人操作，请联系客服：{contact}',
  'password.pickDestination': '没关系。我应该把一次性验证码发到哪里，来确认是您本人？',
  'password.askNew':
    '好的，身份已确认。现在请输入新密码。\n新密码至少 8 个字符，至少包含一个字母和一个数字；越长越安全。',
  'password.askNewAgain': '请输入新密码。',
  'password.askRepeat': '请再输入一次新密码，确保没有输错。',
  'password.mismatch': '两次输入的密码不一致。我们再试一次。',
  'password.reauthExpired': '距离您确认身份已超过 5 分钟，为了您的安全，请再确认一次。',
  'password.changed':
    '完成：您的密码已修改。{signedOut, plural, =0 {没有设备处于登录状态。} other {已退出 # 个登录会话，请用新密码重新登录。}}我已向您的手机和邮箱发送了通知。',
  'password.changedNoEmail':
    '完成：您的密码已修改。{signedOut, plural, =0 {没有设备处于登录状态。} other {已退出 # 个登录会话，请用新密码重新登录。}}我已向您的手机发送了通知。',
  'password.noticeSms': 'lockstep：您账户的密码已被修改。如非本人操作，请立即联系客服：{contact}',
  'password.noticeEmailSubject': '您的密码已被修改',
  'password.noticeEmailText':
    '您的 lockstep 账户密码刚刚被修改，所有已登录的会话都已退出。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
  'policy.tooShort': '这个密码太短了：至少需要 8 个字符。',
  'policy.tooLong': '这个密码太长了：最多 128 个字符。',
  'policy.noLetter': '这个密码没有字母：至少需要一个字母。',
  'policy.noDigit': '这个密码没有数字：至少需要一个数字。',
  'policy.controlChars': '密码中不能有看不见的字符或控制字符（比如制表符或换行）。请去掉它们后重新输入。',
  'policy.common': '这是最常见的密码之一，很容易被猜到。',
  'policy.containsPhone': '这个密码包含您的手机号，别人可能知道它。',
  'policy.containsEmail': '这个密码包含您的邮箱地址，别人可能知道它。',
  'policy.containsAccountId': '这个密码包含您的账户编号（以 acc_ 开头的那个），别人可能看到它。',
  'policy.sameAsCurrent': '这是您当前的密码；新密码必须和它不同。',
} as const;
