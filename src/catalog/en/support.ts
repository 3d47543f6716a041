/** Messages about reaching a person from support, and about handoffs from a support agent into a task. */
export const support = {
  'support.defaultContact': 'the support team of the service you use',
  'support.choiceTalk': 'Talk to support',
  'support.choiceLostApp': 'I lost my app and my recovery codes',
  'support.escalated':
    'I have asked a person from our support team to help you. They will write to you here. Until then I will not start any task in this chat. You can also reach them at: {contact}',
  'support.withPerson':
    'A person from our support team is looking into this and will write to you here. You can also reach them at: {contact}',
  'support.contactOnly': 'You can reach our support team at: {contact}',
  'support.agentMessage': 'A message from our support team:\n\n{message}',
  'support.released':
    'Our support team has finished looking into this, and I am back. Send /menu to see what I can help with.',
  'support.releasedWithHandoff':
    'Our support team has finished looking into this and prepared the next step for you. I will guide you through it now.',
  'support.handoffReady':
    'Our support team prepared a guided task for you. When you are ready (after /cancel if a task is running), send: {command}',

  // ---- the handoff flow ---------------------------------------------------------------------------------
  'handoff.title': 'continuing with what support prepared',
  'handoff.opened':
    'Hello! A person from our support team prepared this for you: {task}. First I need to check that it is you.',
  'handoff.openedLinked':
    'Hello! A person from our support team prepared this for you: {task}. Let us start.',
  'handoff.pickDestination':
    'Where should I send a one-time code to check that it is you? Pick the one you can use right now.',
  'handoff.linked': 'Thank you, that is you. This chat is now linked to your account.',
  'handoff.invalid':
    'This support code does not work. Please check that you opened the whole link or copied the whole code, or ask the support agent for a new one.',
  'handoff.used':
    'This support code was already used: each code works once. Please ask the support agent for a new one.',
  'handoff.expired': 'This support code has expired. Please ask the support agent for a new one.',
  'handoff.otherAccount':
    'This support code is for another account than the one this chat is linked to, so I did not use it. Nothing was changed. Please ask the support agent which account it is for.',
  'handoff.tooMany':
    'Too many support codes were tried in this chat. For your safety, please wait {minutes, plural, one {# minute} other {# minutes}} and try again.',
  'handoff.completed': 'All done. The support agent can see that this is finished. Thank you!',
} as const;
