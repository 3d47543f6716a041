/** The prove-identity step (flows/steps/prove-identity.ts), shared by every task that needs a proof. */
export const prove = {
  'prove.askPassword':
    'Para asegurarme de que eres tú, escribe tu contraseña actual.\nBorraré tu mensaje en cuanto lo lea.',
  'prove.askPasswordAgain': 'Escribe de nuevo tu contraseña actual, o elige "Olvidé mi contraseña".',
  'prove.askPasswordAgainOnly':
    'Escribe de nuevo tu contraseña actual. Si la olvidaste, envía /cancel y luego /password para crear una nueva primero.',
  'prove.choiceForgot': 'Olvidé mi contraseña',
  'prove.wrongPassword':
    'Esa no es tu contraseña actual. {remaining, plural, one {Te queda # intento.} other {Te quedan # intentos.}}',
  'prove.locked':
    'Demasiadas contraseñas incorrectas. Por tu seguridad, el paso de la contraseña queda bloqueado durante {minutes, plural, one {# minuto} other {# minutos}}. No se cambió nada. Después podrás intentarlo de nuevo. Si no fuiste tú, contacta con soporte: {contact}',
  'prove.lockedPickDestination':
    'Demasiadas contraseñas incorrectas, así que el paso de la contraseña queda bloqueado durante {minutes, plural, one {# minuto} other {# minutos}}. No se cambió nada.\nAun así puedes demostrar que eres tú con un código de un solo uso. ¿Adónde te lo envío?',
  'prove.pickDestination':
    'No pasa nada. ¿Adónde te envío un código de un solo uso para comprobar que eres tú?',
  'prove.choicePassword': 'Mejor escribo mi contraseña',
  'prove.choiceNoAccess': 'No puedo usar ninguna de estas',
  'prove.choiceOtherWay': 'Usar otra forma',
  'prove.needSupport':
    'Entonces no puedo comprobar aquí que eres tú, así que no se cambió nada. Contacta con soporte ({contact}): pueden comprobar que eres tú de otra forma y ayudarte a recuperar el acceso.',
  'prove.reauthExpired':
    'Han pasado más de 5 minutos desde que demostraste que eres tú, así que, por tu seguridad, hazlo otra vez. Todavía no se cambió nada.',
} as const;

/** Short labels of the fields a prompt asks for (a form field's label, e.g. in a Discord modal). */
export const fields = {
  'field.password': 'Contraseña',
  'field.newPassword': 'Nueva contraseña',
  'field.code': 'Código',
  'field.appCode': 'Código de tu app o código de recuperación',
  'field.phone': 'Número de teléfono',
  'field.email': 'Correo electrónico',
} as const;
