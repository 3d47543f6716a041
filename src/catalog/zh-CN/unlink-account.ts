/** The unlink-account flow. */
export const unlinkAccount = {
  'menu.unlink': '解除这个聊天的关联',
  'unlink.title': '解除这个聊天的关联',
  'unlink.confirm':
    '要解除这个聊天与您账户的关联吗？\n解除后，在您用 /link 重新关联之前，我无法在这里帮您处理账户。您的账户本身不会改变。',
  'unlink.kept': '好的，这个聊天保持关联，没有做任何更改。',
  'unlink.done':
    '完成：这个聊天已不再关联您的账户。我已向账户的手机和邮箱发送了通知。如需重新关联，请发送 /link。',
  'unlink.notLinked': '这个聊天已经没有关联任何账户，所以无需解除关联。',
  'unlink.noticeSms':
    'lockstep：刚刚有一个 {channel} 聊天与您的账户解除了关联。如非本人操作，请立即联系客服：{contact}',
  'unlink.noticeEmailSubject': '有聊天与您的账户解除了关联',
  'unlink.noticeEmailText':
    '刚刚有一个 {channel} 聊天与您的 lockstep 账户解除了关联。那个聊天已无法再更改您账户中的任何内容。\n如果是您本人操作，无需再做什么。\n如果不是您本人操作，请立即联系客服（{contact}）：可能有人能访问您的账户。',
} as const;
