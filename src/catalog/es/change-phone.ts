/** The change-phone flow. */
export const changePhone = {
  'menu.phone': 'Cambiar mi número de teléfono',
  'phone.title': 'cambiar tu número de teléfono',
  'phone.intro':
    'Vamos a cambiar tu número de teléfono. Primero, para asegurarme de que eres tú, enviaré un código de 6 dígitos a tu número actual {phone}.\nSi ya no tienes ese número, elige una de las otras opciones de abajo.',
  'phone.askNew':
    'Gracias, ya está comprobado. Ahora escribe tu nuevo número de teléfono.\nSi es de otro país que tu número actual, empieza con + y el prefijo del país, por ejemplo +34 612 345 678. Después enviaré un código al número nuevo para comprobar que es correcto.',
  'phone.askNewAgain':
    'Escribe tu nuevo número de teléfono (un número de otro país empieza con + y el prefijo del país).',
  'phone.invalid':
    'Ese número de teléfono no es válido. Revisa los dígitos; un número de otro país empieza con + y el prefijo del país, por ejemplo +34 612 345 678.',
  'phone.same': 'Ese ya es tu número actual. Escribe el nuevo, por favor.',
  'phone.unavailable':
    'Este número no se puede usar. Prueba con otro, por favor: tiene que ser un móvil tuyo que pueda recibir SMS.',
  'phone.tooManyNumbers':
    'Se probaron demasiados números de teléfono en la última hora. Por tu seguridad, paré aquí y no se cambió nada. Inténtalo más tarde.',
  'phone.newCodeSent': 'Te envié un código de 6 dígitos a tu número nuevo {to}. Vale durante 10 minutos.',
  'phone.askNewCode':
    'Escribe el código de 6 dígitos que te envié a {to}. Si ese número no es correcto, elige "Usar otro número".',
  'phone.choiceOtherNumber': 'Usar otro número',
  'phone.newHourlyCap':
    'Se enviaron demasiados códigos a ese número en la última hora. Inténtalo más tarde, o usa otro número.',
  'phone.reauthExpired':
    'Han pasado más de 5 minutos desde que demostraste que eres tú, así que, por tu seguridad, hazlo otra vez. No se cambió nada.',
  'phone.changed':
    'Listo: tu número de teléfono ahora es {phone}. A partir de ahora, los códigos y avisos llegarán ahí. Envié un aviso a tu número anterior y a tu correo.',
  'phone.changedNoEmail':
    'Listo: tu número de teléfono ahora es {phone}. A partir de ahora, los códigos y avisos llegarán ahí. Envié un aviso a tu número anterior.',
  'phone.codeSms':
    'lockstep: tu código para usar este número en tu cuenta es {code}. Caduca en 10 minutos. Escríbelo solo en tu chat con el bot. Si no lo pediste, ignóralo.',
  'phone.noticeOldSms':
    'lockstep: el número de tu cuenta se cambió a {to}. Si no fuiste tú, avisa ya a soporte: {contact}',
  'phone.noticeEmailSubject': 'Se cambió tu número de teléfono',
  'phone.noticeEmailText':
    'El número de teléfono de tu cuenta de lockstep se acaba de cambiar de {from} a {to}.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
} as const;
