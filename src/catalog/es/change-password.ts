/** The change-password flow. */
export const changePassword = {
  'password.title': 'cambiar tu contraseña',
  'password.askCurrent':
    'Vamos a cambiar tu contraseña. Primero, para asegurarme de que eres tú, escribe tu contraseña actual.\nBorraré tu mensaje en cuanto lo lea.',
  'password.askCurrentAgain': 'Escribe de nuevo tu contraseña actual, o elige "Olvidé mi contraseña".',
  'password.choiceForgot': 'Olvidé mi contraseña',
  'password.wrongCurrent':
    'Esa no es tu contraseña actual. {remaining, plural, one {Te queda # intento.} other {Te quedan # intentos.}}',
  'password.locked':
    'Demasiadas contraseñas incorrectas. Por tu seguridad, los cambios de contraseña quedan bloqueados durante {minutes, plural, one {# minuto} other {# minutos}}. No se cambió nada. Si no fuiste tú, contacta con soporte: {contact}',
  'password.pickDestination':
    'No pasa nada. ¿Adónde te envío un código de un solo uso para comprobar que eres tú?',
  'password.askNew':
    'Gracias, ya está comprobado. Ahora escribe tu nueva contraseña.\nNecesita al menos 8 caracteres, con al menos una letra y un número; cuanto más larga, mejor.',
  'password.askNewAgain': 'Escribe una contraseña nueva, por favor.',
  'password.askRepeat': 'Escribe la nueva contraseña una vez más, para descartar errores al teclear.',
  'password.mismatch': 'Las dos contraseñas no coinciden. Probemos otra vez.',
  'password.reauthExpired':
    'Han pasado más de 5 minutos desde que demostraste que eres tú, así que, por tu seguridad, hazlo otra vez.',
  'password.changed':
    'Listo: tu contraseña se cambió. {signedOut, plural, =0 {No había ningún dispositivo con la sesión iniciada.} one {Cerré la sesión en # dispositivo; vuelve a iniciar sesión con la nueva contraseña.} other {Cerré la sesión en # dispositivos; vuelve a iniciar sesión con la nueva contraseña.}} Te envié un aviso al teléfono y al correo.',
  'password.changedNoEmail':
    'Listo: tu contraseña se cambió. {signedOut, plural, =0 {No había ningún dispositivo con la sesión iniciada.} one {Cerré la sesión en # dispositivo; vuelve a iniciar sesión con la nueva contraseña.} other {Cerré la sesión en # dispositivos; vuelve a iniciar sesión con la nueva contraseña.}} Te envié un aviso al teléfono.',
  'password.noticeSms':
    'lockstep: se cambió la contraseña de tu cuenta. Si no fuiste tú, avisa ya a soporte: {contact}',
  'password.noticeEmailSubject': 'Se cambió tu contraseña',
  'password.noticeEmailText':
    'La contraseña de tu cuenta de lockstep se acaba de cambiar, y se cerraron todas las sesiones abiertas.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
  'policy.tooShort': 'Esa contraseña es demasiado corta: necesita al menos 8 caracteres.',
  'policy.tooLong': 'Esa contraseña es demasiado larga: como máximo 128 caracteres.',
  'policy.noLetter': 'Esa contraseña no tiene ninguna letra: necesita al menos una.',
  'policy.noDigit': 'Esa contraseña no tiene ningún número: necesita al menos uno.',
  'policy.controlChars':
    'La contraseña no puede tener caracteres invisibles o de control (como tabulaciones o saltos de línea). Escríbela de nuevo sin ellos.',
  'policy.common': 'Esa contraseña es de las más usadas y es fácil de adivinar.',
  'policy.containsPhone': 'Esa contraseña contiene tu número de teléfono, y otras personas pueden conocerlo.',
  'policy.containsEmail': 'Esa contraseña contiene tu correo electrónico, y otras personas pueden conocerlo.',
  'policy.containsAccountId':
    'Esa contraseña contiene tu número de cuenta (el que empieza por acc_), y otras personas pueden verlo.',
  'policy.sameAsCurrent': 'Esa es tu contraseña actual; la nueva tiene que ser distinta.',
} as const;
