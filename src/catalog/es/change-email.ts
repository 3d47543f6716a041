/** The add-or-change-email flow, its verification message and the notices it sends. */
export const changeEmail = {
  'menu.email': 'Añadir o cambiar mi correo',
  'email.title': 'añadir o cambiar tu correo',
  'email.askPassword':
    'Vamos a configurar tu correo electrónico. Primero, para asegurarme de que eres tú, escribe tu contraseña actual.\nBorraré tu mensaje en cuanto lo lea. ¿No tienes la contraseña a mano? Elige "Olvidé mi contraseña" y te enviaré un código por SMS a tu teléfono.',
  'email.askAddressAdd':
    'Gracias, ya está comprobado. Ahora escribe el correo electrónico que quieres añadir a tu cuenta.\nDespués te enviaré un mensaje ahí para comprobar que es tuyo; no cambia nada hasta que lo confirmes.',
  'email.askAddressChange':
    'Gracias, ya está comprobado. Tu correo actual es {current}. Ahora escribe el correo nuevo que quieres usar en su lugar.\nDespués te enviaré un mensaje ahí para comprobar que es tuyo; no cambia nada hasta que lo confirmes.',
  'email.askAddressAgain': 'Escribe el correo electrónico que quieres usar, como nombre@ejemplo.com.',
  'email.invalid': 'Eso no parece un correo electrónico. Escríbelo así: nombre@ejemplo.com.',
  'email.same':
    'Ese ya es el correo de tu cuenta, así que no hay nada que cambiar. Escribe otro distinto, o envía /cancel para quedarte con este.',
  'email.taken':
    'No se puede añadir ese correo: ya pertenece a otra cuenta. Escribe otro distinto. Si crees que es tuyo, contacta con soporte: {contact}',
  'email.tooManyAddresses':
    'Se probaron demasiados correos en la última hora, así que, por tu seguridad, detuve esta tarea. No se cambió nada. Inténtalo más tarde.',
  'email.sent':
    'Envié un mensaje a {to}. Contiene un enlace y un código de 6 dígitos: abre el enlace y pulsa el botón de confirmar en esa página (el enlace vale durante 30 minutos), o escribe aquí el código (vale durante 10 minutos).\nEn cuanto hagas cualquiera de las dos cosas, tu correo se cambiará y te avisaré aquí.',
  'email.sentCodeOnly':
    'Envié un código de 6 dígitos a {to}. Vale durante 10 minutos. Escríbelo aquí; tu correo se cambiará en cuanto el código sea correcto.',
  'email.askCode':
    'Escribe el código de 6 dígitos del mensaje que envié a {to}, o abre el enlace de ese mensaje y confirma.',
  'email.askCodeOnly': 'Escribe el código de 6 dígitos que te envié a {to}.',
  'email.choiceResend': 'Enviar un mensaje nuevo',
  'email.choiceOther': 'Usar otro correo',
  'email.codeExpired':
    'Ese código ha caducado (los códigos valen durante 10 minutos). Elige "Enviar un mensaje nuevo" para recibir otro.',
  'email.codeExhausted':
    'Ese código se escribió mal demasiadas veces, así que ya no sirve. Elige "Enviar un mensaje nuevo" para recibir otro.',
  'email.codeMissing':
    'Ya no tienes ningún código válido pendiente. Elige "Enviar un mensaje nuevo" para recibir otro.',
  'email.reauthExpired':
    'Han pasado más de 5 minutos desde que demostraste que eres tú, así que, por tu seguridad, hazlo otra vez. El mensaje que te envié sigue siendo válido.',
  'email.added':
    'Listo: {email} es ahora el correo de tu cuenta. Puedes usarlo para iniciar sesión y para recuperar tu cuenta. Te envié un aviso al teléfono.',
  'email.changed':
    'Listo: tu correo ahora es {email}. Puedes usarlo para iniciar sesión y para recuperar tu cuenta. Envié un aviso a tu teléfono y a tu correo anterior.',
  'email.verified':
    'Tu correo está verificado: el correo nuevo se confirmó con el enlace del mensaje y ya está guardado en tu cuenta. Puedes usarlo para iniciar sesión y para recuperar tu cuenta. Envié avisos a tu teléfono y, si tenías uno, a tu correo anterior.',
  'email.linkReauth':
    'Se confirmó el enlace del mensaje, pero han pasado más de 5 minutos desde que demostraste que eres tú, así que todavía no se cambió nada. Por tu seguridad, demuestra aquí otra vez que eres tú; después pulsa de nuevo el botón de esa página, o escribe el código del mensaje.',
  'email.linkDead':
    'Se confirmó el enlace del mensaje, pero ya no sirve (caducó o lo sustituyó un mensaje más reciente). No se cambió nada.',
  'email.linkTaskEnded':
    'Alguien confirmó el enlace del mensaje que envié para comprobar tu correo nuevo, pero ese cambio de correo ya había terminado (se canceló o se agotó el tiempo), así que no se cambió nada. Si fuiste tú, envía /email para empezar de nuevo.',
  'email.linkTaskEndedPageTitle': 'Este cambio de correo ha terminado',
  'email.linkTaskEndedPageBody':
    'El cambio de correo al que pertenece este enlace se canceló o se agotó el tiempo en tu chat con el bot de lockstep, así que el enlace ya no sirve. No se cambió nada.\nEnvía /email al bot de lockstep para empezar de nuevo el cambio de correo.',
  'email.linkTaken':
    'El correo nuevo se confirmó con el enlace, pero ahora pertenece a otra cuenta, así que no se añadió a la tuya. No se cambió nada. Envía /email para usar otro correo.',
  'email.verifySubject': 'Confirma tu correo electrónico para lockstep',
  'email.verifyText':
    'Hola:\n\nalguien, esperamos que tú, pidió usar este correo en una cuenta de lockstep. Para confirmarlo, abre este enlace en los próximos 30 minutos:\n{link}\n\nO escribe este código en tu chat con el bot de lockstep en los próximos 10 minutos: {code}\n\nNo compartas el enlace ni el código con nadie, tampoco con el personal de soporte. Si no lo pediste tú, ignora este mensaje: no cambiará nada.',
  'email.verifyTextCodeOnly':
    'Hola:\n\nalguien, esperamos que tú, pidió usar este correo en una cuenta de lockstep. Para confirmarlo, escribe este código en tu chat con el bot de lockstep en los próximos 10 minutos: {code}\n\nEscribe el código solo en ese chat; nadie más lo necesita, ni siquiera el personal de soporte. Si no lo pediste tú, ignora este mensaje: no cambiará nada.',
  'email.noticeSmsAdded':
    'lockstep: se añadió el correo {email} a tu cuenta. Si no fuiste tú, avisa ya a soporte: {contact}',
  'email.noticeSmsChanged':
    'lockstep: el correo de tu cuenta se cambió a {email}. Si no fuiste tú, avisa ya a soporte: {contact}',
  'email.noticeOldSubject': 'Se cambió tu correo electrónico',
  'email.noticeOldText':
    'El correo de tu cuenta de lockstep se acaba de cambiar de esta dirección a {email}. A partir de ahora, los códigos y avisos de seguridad llegarán ahí.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
} as const;
