/** Messages about reaching a person from support. */
export const support = {
  'support.defaultContact': 'the support team of the service you use',
  'support.choiceTalk': 'Talk to support',
  'support.escalated':
    'I have asked a person from our support team to help you. They will write to you here. Until then I will not start any task in this chat. You can also reach them at: {contact}',
  'support.withPerson':
    'A person from our support team is looking into this and will write to you here. You can also reach them at: {contact}',
  'support.contactOnly': 'You can reach our support team at: {contact}',
} as const;
