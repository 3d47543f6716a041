/** Messages about reaching a person from support, and about handoffs from a support agent into a task. */
export const support = {
  'support.defaultContact': 'el equipo de soporte del servicio que usas',
  'support.choiceTalk': 'Hablar con soporte',
  'support.choiceLostApp': 'Perdí mi app y mis códigos de recuperación',
  'support.escalated':
    'Le pedí a una persona de nuestro equipo de soporte que te ayude. Te escribirá aquí. Mientras tanto, no empezaré ninguna tarea en este chat. También puedes contactar con el equipo en: {contact}',
  'support.withPerson':
    'Una persona de nuestro equipo de soporte está revisando esto y te escribirá aquí. También puedes contactar con el equipo en: {contact}',
  'support.contactOnly': 'Puedes contactar con nuestro equipo de soporte en: {contact}',
  'support.agentMessage': 'Un mensaje de nuestro equipo de soporte:\n\n{message}',
  'support.released':
    'Nuestro equipo de soporte terminó de revisar esto, y ya estoy de vuelta. Envía /menu para ver en qué te puedo ayudar.',
  'support.releasedWithHandoff':
    'Nuestro equipo de soporte terminó de revisar esto y te preparó el siguiente paso. Te guío ahora.',
  'support.handoffReady':
    'Nuestro equipo de soporte te preparó una tarea guiada. Cuando puedas (después de /cancel si hay una tarea en curso), envía: {command}',

  // ---- the handoff flow ---------------------------------------------------------------------------------
  'handoff.title': 'seguir con lo que preparó soporte',
  'handoff.opened':
    '¡Hola! Una persona de nuestro equipo de soporte te preparó esto: {task}. Primero tengo que comprobar que eres tú.',
  'handoff.openedLinked':
    '¡Hola! Una persona de nuestro equipo de soporte te preparó esto: {task}. Empecemos.',
  'handoff.pickDestination':
    '¿Adónde te envío un código de un solo uso para comprobar que eres tú? Elige uno que puedas usar ahora mismo.',
  'handoff.linked': 'Gracias, ya sé que eres tú. Este chat ya está vinculado a tu cuenta.',
  'handoff.invalid':
    'Este código de soporte no funciona. Comprueba que abriste el enlace completo o copiaste el código entero, o pide uno nuevo al agente de soporte.',
  'handoff.used':
    'Este código de soporte ya se usó: cada código sirve una sola vez. Pide uno nuevo al agente de soporte.',
  'handoff.expired': 'Este código de soporte ha caducado. Pide uno nuevo al agente de soporte.',
  'handoff.otherAccount':
    'Este código de soporte es de otra cuenta, no de la que está vinculada a este chat, así que no lo usé. No se cambió nada. Pregunta al agente de soporte para qué cuenta es.',
  'handoff.tooMany':
    'Se probaron demasiados códigos de soporte en este chat. Por tu seguridad, espera {minutes, plural, one {# minuto} other {# minutos}} y vuelve a intentarlo.',
  'handoff.completed': 'Todo listo. El agente de soporte puede ver que esto ya está terminado. ¡Gracias!',
} as const;
