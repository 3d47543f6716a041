/** The security checkup: what it found, the fix buttons, the offers made after other tasks, the tip before /phone. */
export const checkup = {
  'menu.checkup': '安全检查',
  'checkup.title': '安全检查',
  'checkup.found': '我查看了您的账户。以下几点可以让它更安全，按重要程度排列：',
  'checkup.resumed': '回到您的安全检查。',
  'checkup.remaining': '还剩下这些，按重要程度排列：',
  'checkup.finding.failedAttempts':
    '• 最近有人在您的账户上输错了密码或验证码（过去 {days} 天内 {count} 次）。如果不是您，请查看最近的安全动态，并选择“这不是我”。',
  'checkup.finding.noEmail': '• 添加邮箱：手机丢失时，多一种找回账户的方式。',
  'checkup.finding.noPhone': '• 添加手机号：邮箱无法使用时，多一种找回账户的方式。',
  'checkup.finding.twoFactorOff': '• 开启两步验证：这样即使密码被盗，别人也无法登录。',
  'checkup.finding.fewRecoveryCodes':
    '• 恢复码还剩 {left} 个（共 10 个）。请在用完之前生成新的，否则手机丢失时您可能无法登录。',
  'checkup.finding.passwordBelowPolicy':
    '• 您的密码不符合现在的规则（容易猜到、太短或包含您的个人信息）。请换一个新的、独一无二的密码。',
  'checkup.finding.passwordOld': '• 您的密码自 {since} 以来没有修改过。换个新密码，旧的泄露就没用了。',
  'checkup.finding.passwordWeakHash':
    '• 您的密码是用较旧、较弱的方式保存的。修改一次密码，就会改用新的方式保存。',
  'checkup.finding.staleDevices':
    '• 有些设备仍处于登录状态，但已经 {days} 天或更久没有使用（{count} 台）。如果您不认识全部设备，请退出所有设备。',
  'checkup.ask': '选择一项，现在就处理。完成后，我会带您回到这里。随时可以发送 /cancel 停止。',
  'checkup.fix.activity': '查看最近的安全动态',
  'checkup.fix.email': '添加邮箱',
  'checkup.fix.phone': '添加手机号',
  'checkup.fix.twoFactor': '开启两步验证',
  'checkup.fix.recoveryCodes': '生成新的恢复码',
  'checkup.fix.password': '修改密码',
  'checkup.choiceLater': '以后再说',
  'checkup.willReturn': '好的。完成后，我们继续安全检查。',
  'checkup.later': '好的，没有做任何更改。想继续时，随时发送 /checkup。',
  'checkup.allGood':
    '一切正常：您的账户有手机号和邮箱，两步验证已开启，密码状态良好，也没有异常情况。建议在 {next} 左右再检查一次；如有变化，可以随时检查。',
  'checkup.endOfList': '清单到此结束，但还有没处理完的项目。想看还剩什么时，随时发送 /checkup。',
  'checkup.offer': '顺便说一下：快速安全检查发现了几种让您的账户更安全的方法。要看看吗？',
  'checkup.choiceShow': '看看',
  'checkup.phoneTip': '提示：您的账户还没有邮箱。请先添加邮箱，这样即使旧号码丢失，您也能登录。',
  'checkup.choiceAddEmailFirst': '先添加邮箱',
  'checkup.choicePhoneAnyway': '现在就修改手机号',
} as const;
