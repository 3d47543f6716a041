/** The web pages people open from a link in an email (confirm, then verify the email address). */
export const web = {
  'web.brand': 'lockstep',
  'web.closeHint': 'Ya puedes cerrar esta página y volver a tu chat con el bot de lockstep.',
  'web.confirm.title': 'Confirma tu nuevo correo electrónico',
  'web.confirm.body':
    'Pulsa el botón de abajo para terminar de cambiar el correo de tu cuenta de lockstep; no cambia nada hasta que lo pulses.',
  'web.confirm.button': 'Confirmar mi nuevo correo',
  'web.verified.title': 'Tu correo electrónico está confirmado',
  'web.verified.body':
    'Gracias: tu correo electrónico ya está confirmado. A partir de ahora podemos enviarte ahí códigos y avisos de seguridad.',
  'web.expired.title': 'Este enlace ha caducado',
  'web.expired.body':
    'Por tu seguridad, un enlace de confirmación vale durante 30 minutos, y este es más antiguo. No se cambió nada.\nPide un enlace nuevo al bot de lockstep: solo lleva un momento.',
  'web.used.title': 'Este enlace ya se usó',
  'web.used.body':
    'Cada enlace de confirmación sirve una sola vez, y este ya se usó. Si acabas de confirmar tu correo, no tienes que hacer nada más.\nSi tienes dudas de que haya funcionado, pide un enlace nuevo al bot de lockstep.',
  'web.invalid.title': 'Este enlace no funciona',
  'web.invalid.body':
    'Este enlace de confirmación no es válido. Puede que se cortara o se escribiera mal al copiarlo. No se cambió nada.\nAbre el enlace directamente desde el correo, o pide uno nuevo al bot de lockstep.',
  'web.error.title': 'Algo salió mal',
  'web.error.body':
    'Lo siento, algo falló por nuestra parte y ahora mismo no se pudo confirmar tu correo. No se cambió nada.\nVuelve a probar el mismo enlace dentro de unos minutos.',
  'web.tooMany.title': 'Espera un momento, por favor',
  'web.tooMany.body':
    'Esta página se abrió muchas veces en poco tiempo, así que, por tu seguridad, está en pausa un momento. No se cambió nada.\nEspera un minuto y vuelve a abrir el enlace desde tu correo.',
} as const;
