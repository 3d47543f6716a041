/** The link-account flow, and the names of the channels a chat can be on. */
export const linkAccount = {
  'menu.link': 'Vincular tu cuenta',
  'link.title': 'vincular tu cuenta',
  'link.askDestination':
    'Vamos a vincular este chat a tu cuenta. Escribe el número de teléfono o el correo electrónico de tu cuenta.\nEscribe el número con el prefijo del país, empezando por +, por ejemplo +34 612 345 678. Si alguna cuenta usa lo que escribas, enviaré ahí un código de un solo uso.',
  'link.askDestinationAgain':
    'Escribe el número de teléfono (empezando por + y el prefijo del país) o el correo electrónico de tu cuenta, y te enviaré un código nuevo.',
  'link.field': 'Número de teléfono o correo electrónico',
  'link.badDestination':
    'Eso no parece un número de teléfono ni un correo electrónico. Revísalo y escríbelo de nuevo.',
  'link.needCountryCode':
    'Escribe el número de teléfono con el prefijo del país, empezando por +, por ejemplo +34 612 345 678.',
  'link.codeSent': 'Si alguna cuenta usa {to}, envié ahí un código de 6 dígitos. Vale durante 10 minutos.',
  'link.askCode':
    'Escribe aquí el código. Si no te llega en unos minutos, comprueba que {to} es correcto, o elige una opción de abajo.',
  'link.choiceOther': 'Usar otro teléfono o correo',
  'link.tooMany':
    'Hubo demasiados intentos de vincular una cuenta en la última hora, desde este chat o para este teléfono o correo. Por tu seguridad, paré aquí y no se cambió nada. Inténtalo de nuevo dentro de una hora.',
  'link.alreadyLinked':
    'Este chat ya está vinculado a una cuenta, y un chat solo se puede vincular a una cuenta. Para vincular otra, envía primero /unlink y luego /link.',
  'link.done':
    'Listo: este chat ya está vinculado a tu cuenta. Envié un aviso al teléfono y al correo de la cuenta. Envía /menu para ver lo que puedo hacer por ti.',
  'link.codeSms':
    'lockstep: tu código para vincular un chat a tu cuenta es {code}. Caduca en 10 minutos. Escríbelo solo en tu chat con el bot. Si no lo pediste, ignóralo.',
  'link.codeEmailSubject': 'Tu código para vincular un chat a tu cuenta de lockstep',
  'link.codeEmailText':
    'Tu código para vincular un chat a tu cuenta de lockstep es {code}.\nCaduca en 10 minutos. Escríbelo solo en el chat con el bot de lockstep y no se lo des a nadie, tampoco al personal de soporte.\nSi no lo pediste, puede que alguien haya escrito tu número de teléfono o tu correo por error. Puedes ignorar este mensaje; tu cuenta sigue igual.',
  'link.noticeSms':
    'lockstep: se acaba de vincular un chat de {channel} a tu cuenta. Si no fuiste tú, avisa ya a soporte: {contact}',
  'link.noticeEmailSubject': 'Se vinculó un chat nuevo a tu cuenta',
  'link.noticeEmailText':
    'Se acaba de vincular un chat de {channel} a tu cuenta de lockstep. Desde ese chat se pueden cambiar tu contraseña, tu número de teléfono y otros ajustes de seguridad.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
  'link.channel.telegram': 'Telegram',
  'link.channel.discord': 'Discord',
  'link.channel.console': 'consola',
} as const;
