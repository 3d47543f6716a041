/** The console demo adapter. */
export const consoleText = {
  'console.banner':
    'lockstep 控制台演示。输入 /menu 查看我能做什么，/help 获取帮助，/cancel 停止任务。按 Ctrl-D 退出。',
  'console.demoAccount':
    '演示账户 {id}（手机 {phone}，邮箱 {email}）已关联到这个控制台。它的密码是：{password}',
  'console.demoAccountRedis': '正在使用 Redis。演示账户 {id} 已存在并关联到这个控制台；它的密码保持不变。',
  'console.linkedElsewhere': '这个控制台已关联到账户 {id}（由运维人员关联），所以没有使用演示账户。',
  'console.demoUnlinked': '演示账户 {id} 已存在，但这个控制台没有关联它。发送 /link 重新关联。',
  'console.outbox': '[outbox] {channel} 发往 {to}：{text}',
  'console.outboxSubject': '[outbox] 邮件发往 {to}，主题“{subject}”：\n{text}',
  'console.choice': '  {number}) {label}',
  'console.choiceHint': '（输入选项的编号或文字）',
  'console.secretHint': '（这是保密的回答；在 Telegram 和 Discord 中，读取后会立即删除）',
  'console.bye': '再见。',
  'console.imageAlt': '[图片：{alt}]',
} as const;
