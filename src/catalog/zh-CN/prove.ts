/** The prove-identity step (flows/steps/prove-identity.ts), shared by every task that needs a proof. */
export const prove = {
  'prove.askPassword': '为了确认是您本人，请输入您当前的密码。\n我读取后会立即删除您的消息。',
  'prove.askPasswordAgain': '请再次输入您当前的密码，或选择“我忘记密码了”。',
  'prove.askPasswordAgainOnly':
    '请再次输入您当前的密码。如果忘记了，请先发送 /cancel，再发送 /password 设置新密码。',
  'prove.choiceForgot': '我忘记密码了',
  'prove.wrongPassword': '这不是您当前的密码。您还可以再试 {remaining} 次。',
  'prove.locked':
    '密码错误次数太多。为了您的安全，密码验证已锁定 {minutes} 分钟，没有做任何更改。之后您可以再试。如果不是您本人操作，请联系客服：{contact}',
  'prove.lockedPickDestination':
    '密码错误次数太多，密码验证已锁定 {minutes} 分钟，没有做任何更改。\n您仍可以用一次性验证码证明是您本人。我应该把验证码发到哪里？',
  'prove.pickDestination': '没关系。我应该把一次性验证码发到哪里，来确认是您本人？',
  'prove.choicePassword': '改为输入密码',
  'prove.choiceNoAccess': '这些我都用不了',
  'prove.choiceOtherWay': '换一种方式',
  'prove.needSupport':
    '这样的话，我无法在这里确认是您本人，所以没有做任何更改。请联系客服（{contact}）：他们可以用其他方式确认您的身份，帮您找回账户。',
  'prove.reauthExpired': '距离您确认身份已超过 5 分钟，为了您的安全，请再确认一次。目前还没有做任何更改。',
} as const;

/** Short labels of the fields a prompt asks for (a form field's label, e.g. in a Discord modal). */
export const fields = {
  'field.password': '密码',
  'field.newPassword': '新密码',
  'field.code': '验证码',
  'field.appCode': '验证器应用中的验证码或恢复码',
  'field.phone': '手机号',
  'field.email': '邮箱地址',
} as const;
