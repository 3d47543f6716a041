/** Messages about one-time codes and second factors, shared by every flow that sends or checks them. */
export const codes = {
  'codes.sent': 'Te envié un código de 6 dígitos a {to}. Vale durante 10 minutos.',
  'codes.askCode': 'Escribe el código de 6 dígitos que te envié a {to}.',
  'codes.choiceResend': 'Enviar un código nuevo',
  'codes.choicePhone': 'SMS a {to}',
  'codes.choiceEmail': 'Correo a {to}',
  'codes.format': 'Un código tiene exactamente 6 dígitos, como 123456. Escríbelo de nuevo.',
  'codes.wrong':
    'Ese código no es correcto. {remaining, plural, one {Te queda # intento.} other {Te quedan # intentos.}}',
  'codes.expired': 'Ese código ha caducado (los códigos valen durante 10 minutos). Te envío uno nuevo.',
  'codes.exhausted': 'Ese código se escribió mal demasiadas veces, así que ya no sirve. Te envío uno nuevo.',
  'codes.missing': 'Ya no tienes ningún código válido pendiente. Te envío uno nuevo.',
  'codes.cooldown':
    'Te acabo de enviar un código. Espera {seconds, plural, one {# segundo} other {# segundos}} antes de pedir otro.',
  'codes.hourlyCap':
    'Se enviaron demasiados códigos a este destino en la última hora. Inténtalo más tarde, o elige otra forma.',
  'codes.deliveryFailed':
    'Lo siento, ahora mismo no pudimos enviar el código. No se cambió nada. Inténtalo de nuevo en un momento.',
  'codes.smsText':
    'lockstep: tu código es {code}. Caduca en 10 minutos. Escríbelo solo en tu chat con el bot de lockstep; nadie más lo necesita.',
  'codes.emailSubject': 'Tu código de lockstep',
  'codes.emailText':
    'Tu código de lockstep es {code}.\nCaduca en 10 minutos. Escríbelo solo en tu chat con el bot de lockstep; nadie más lo necesita, ni siquiera el personal de soporte.\nSi no lo pediste, puedes ignorar este mensaje; tu cuenta no ha cambiado.',
  'twofa.askCode':
    'Tu cuenta tiene la verificación en dos pasos. Escribe el código de 6 dígitos de tu app de autenticación, o uno de tus códigos de recuperación.',
  'twofa.wrong':
    'Ese código no es correcto. {remaining, plural, one {Te queda # intento.} other {Te quedan # intentos.}}',
  'twofa.format':
    'Escribe el código de 6 dígitos de tu app de autenticación, o un código de recuperación (como abcd-efgh-ij).',
  'twofa.replay': 'Ese código ya se usó. Espera al siguiente código de tu app y escribe ese.',
  'twofa.tooMany': 'Demasiados códigos incorrectos. Por tu seguridad, detuve esta tarea. No se cambió nada.',
} as const;
