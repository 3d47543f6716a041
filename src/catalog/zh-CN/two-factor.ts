/** Turning two-step verification on and off, and new recovery codes. */
export const twoFactor = {
  'menu.twofa': '开启两步验证',
  'menu.twofaOn': '两步验证：已开启',
  'twofa.titleOn': '开启两步验证',
  'twofa.titleOff': '关闭两步验证',
  'twofa.titleRecovery': '获取新的恢复码',
  'twofa.askPasswordOn':
    '我们来开启两步验证。开启后，重要的更改还需要输入手机上身份验证器应用（比如 Google Authenticator、Microsoft Authenticator 或 1Password）中的 6 位验证码，这样即使密码被盗，别人也无法单凭密码更改您的账户。\n首先，为了确认是您本人，请输入您的密码。\n我读取后会立即删除您的消息。',
  'twofa.askPasswordOff':
    '我们来关闭两步验证。关闭后，您的账户将只靠密码保护。\n首先，为了确认是您本人，请输入您的密码。\n我读取后会立即删除您的消息。',
  'twofa.askPasswordRecovery':
    '我们来生成新的恢复码。新恢复码会替换您所有的旧恢复码：旧的将失效。\n首先，为了确认是您本人，请输入您的密码。\n我读取后会立即删除您的消息。',
  'twofa.reauthExpired': '距离您确认身份已超过 5 分钟，为了您的安全，请再确认一次。目前还没有做任何更改。',
  'twofa.scan':
    '这是您的新密钥。请打开身份验证器应用，添加账户并扫描这个二维码。\n如果无法扫描，请在应用中选择“输入密钥”，然后输入这个密钥（空格无所谓）：\n{key}\n请不要把这个密钥告诉任何人：拿到它的人就能生成您的验证码。',
  'twofa.qrAlt': '用身份验证器应用扫描的二维码',
  'twofa.askSetupCode':
    '当应用中出现 lockstep 后，请输入它显示的 6 位验证码。验证码核对无误之前，两步验证不会开启。',
  'twofa.choiceShowAgain': '再显示一次二维码',
  'twofa.choiceNoApp': '我没有身份验证器应用',
  'twofa.noApp':
    '没关系。身份验证器应用会在您的手机上生成验证码，即使没有网络也可以。Google Authenticator、Microsoft Authenticator 和 2FAS 都是免费的，可以在手机的应用商店中找到。安装好后，请再发送一次 /2fa。目前没有开启任何功能。',
  'twofa.setupWrong':
    '验证码不匹配。请确认您扫描的是上面的二维码、手机时间设为自动，然后输入应用现在显示的验证码。',
  'twofa.setupFormat': '应用中的验证码正好是 6 位数字，比如 123456。请重新输入。',
  'twofa.recoveryCodes':
    '两步验证现已开启。\n这是您的 10 个恢复码。如果手机丢失，每个恢复码可以代替应用中的验证码使用一次。请现在把它们写下来，或保存到密码管理器中：我不会再显示它们。\n{codes}',
  'twofa.askSaved': '您把恢复码保存在安全的地方了吗？保存好后，请选择“我已保存”。',
  'twofa.choiceSaved': '我已保存',
  'twofa.enabledDone':
    '全部完成。今后当您修改密码、手机号或邮箱，或关联新的聊天时，我都会要求输入应用中的验证码。我已向您的手机和邮箱发送了通知。',
  'twofa.alreadyOn': '您的账户已经开启了两步验证。您想做什么？',
  'twofa.choiceTurnOff': '关闭两步验证',
  'twofa.choiceNewCodes': '获取新的恢复码',
  'twofa.choiceKeep': '保持不变',
  'twofa.choseOff': '决定之前请了解：没有两步验证，任何知道您密码的人都能更改您的账户。',
  'twofa.choseNewCodes': '如果您已经用掉了一些恢复码，或找不到那份清单了，这是个好主意。',
  'twofa.kept': '好的，没有做任何更改。两步验证保持开启。',
  'twofa.enableRaced':
    '两步验证刚刚已在另一个聊天中开启。其他内容都没有更改。如果不是您本人操作，请联系客服：{contact}',
  'twofa.notOn': '您的账户没有开启两步验证，所以无需关闭。如需开启，请发送 /2fa。',
  'twofa.notOnRecovery': '您的账户没有开启两步验证，所以没有恢复码。如需开启，请发送 /2fa。',
  'twofa.disabledDone':
    '完成：两步验证现已关闭。身份验证器应用中的条目和您的恢复码都已失效，可以删除。您可以随时发送 /2fa 重新开启。我已向您的手机和邮箱发送了通知。',
  'twofa.newCodes':
    '完成：这是您的 10 个新恢复码。旧恢复码已失效。每个新恢复码只能用一次。请现在保存好：我不会再显示它们。\n{codes}',
  'twofa.newCodesDone': '全部完成。我已向您的手机和邮箱发送了通知。',
  'twofa.noticeEnabledSms': 'lockstep：您的账户已开启两步验证。如非本人操作，请立即联系客服：{contact}',
  'twofa.noticeEnabledSubject': '两步验证已开启',
  'twofa.noticeEnabledText':
    '您的 lockstep 账户刚刚开启了两步验证。现在进行重要更改时，需要输入身份验证器应用中的验证码。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
  'twofa.noticeDisabledSms': 'lockstep：您的账户已关闭两步验证。如非本人操作，请立即联系客服：{contact}',
  'twofa.noticeDisabledSubject': '两步验证已关闭',
  'twofa.noticeDisabledText':
    '您的 lockstep 账户刚刚关闭了两步验证，现在只靠密码保护。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
  'twofa.noticeRegeneratedSms':
    'lockstep：您的账户已生成新的恢复码，旧的已失效。如非本人操作，请立即联系客服：{contact}',
  'twofa.noticeRegeneratedSubject': '已生成新的恢复码',
  'twofa.noticeRegeneratedText':
    '您的 lockstep 账户刚刚生成了新的恢复码，旧的已失效。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
} as const;
