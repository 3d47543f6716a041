/** Turning two-step verification on and off, and new recovery codes. */
export const twoFactor = {
  'menu.twofa': 'Activar la verificación en dos pasos',
  'menu.twofaOn': 'Verificación en dos pasos: activada',
  'twofa.titleOn': 'activar la verificación en dos pasos',
  'twofa.titleOff': 'desactivar la verificación en dos pasos',
  'twofa.titleRecovery': 'obtener códigos de recuperación nuevos',
  'twofa.askPasswordOn':
    'Vamos a activar la verificación en dos pasos. Después, los cambios importantes también necesitarán un código de 6 dígitos de una app de autenticación en tu teléfono (por ejemplo Google Authenticator, Microsoft Authenticator o 1Password), así que una contraseña robada no bastará.\nPrimero, para asegurarme de que eres tú, escribe tu contraseña.\nBorraré tu mensaje en cuanto lo lea.',
  'twofa.askPasswordOff':
    'Vamos a desactivar la verificación en dos pasos. Después, tu cuenta quedará protegida solo por tu contraseña.\nPrimero, para asegurarme de que eres tú, escribe tu contraseña.\nBorraré tu mensaje en cuanto lo lea.',
  'twofa.askPasswordRecovery':
    'Vamos a crear códigos de recuperación nuevos. Los nuevos sustituyen a todos los anteriores: los anteriores dejarán de funcionar.\nPrimero, para asegurarme de que eres tú, escribe tu contraseña.\nBorraré tu mensaje en cuanto lo lea.',
  'twofa.reauthExpired':
    'Han pasado más de 5 minutos desde que demostraste que eres tú, así que, por tu seguridad, hazlo una vez más. Todavía no se cambió nada.',
  'twofa.scan':
    'Aquí tienes tu clave nueva. Abre tu app de autenticación, añade una cuenta y escanea este código QR.\nSi no puedes escanearlo, elige "introducir una clave" en la app y escribe esta clave (los espacios dan igual):\n{key}\nNo compartas esta clave: quien la tenga puede generar tus códigos.',
  'twofa.qrAlt': 'Código QR para escanear con tu app de autenticación',
  'twofa.askSetupCode':
    'Cuando tu app muestre lockstep, escribe el código de 6 dígitos que aparece. No se activa nada hasta que el código coincida.',
  'twofa.choiceShowAgain': 'Mostrar otra vez el código QR',
  'twofa.choiceNoApp': 'No tengo app de autenticación',
  'twofa.noApp':
    'No pasa nada. Una app de autenticación genera los códigos en tu teléfono, incluso sin conexión. Google Authenticator, Microsoft Authenticator y 2FAS son gratuitas y están en la tienda de apps de tu teléfono. Instala una y luego envía /2fa otra vez. No se activó nada.',
  'twofa.setupWrong':
    'Ese código no coincide. Comprueba que escaneaste el código QR de arriba y que la hora de tu teléfono se ajusta automáticamente, y escribe el código que muestra tu app ahora.',
  'twofa.setupFormat': 'El código de tu app tiene exactamente 6 dígitos, como 123456. Escríbelo de nuevo.',
  'twofa.recoveryCodes':
    'La verificación en dos pasos ya está ACTIVADA.\nAquí tienes tus 10 códigos de recuperación. Si pierdes el teléfono, cada uno sirve una vez en lugar de un código de la app. Apúntalos o guárdalos ahora en tu gestor de contraseñas: no te los volveré a mostrar.\n{codes}',
  'twofa.askSaved':
    '¿Guardaste tus códigos de recuperación en un lugar seguro? Elige "Ya los guardé" cuando termines.',
  'twofa.choiceSaved': 'Ya los guardé',
  'twofa.enabledDone':
    'Todo listo. A partir de ahora te pediré un código de tu app cuando cambies tu contraseña, tu número de teléfono o tu correo, o cuando vincules un chat nuevo. Te envié un aviso al teléfono y al correo.',
  'twofa.alreadyOn': 'Tu cuenta ya tiene activada la verificación en dos pasos. ¿Qué quieres hacer?',
  'twofa.choiceTurnOff': 'Desactivarla',
  'twofa.choiceNewCodes': 'Obtener códigos de recuperación nuevos',
  'twofa.choiceKeep': 'Dejarla como está',
  'twofa.choseOff':
    'Antes de decidir, ten en cuenta que sin la verificación en dos pasos cualquiera que conozca tu contraseña puede hacer cambios en tu cuenta.',
  'twofa.choseNewCodes': 'Buena idea si ya usaste algunos de tus códigos o si ya no encuentras la lista.',
  'twofa.kept': 'De acuerdo, no se cambió nada. La verificación en dos pasos sigue activada.',
  'twofa.enableRaced':
    'Mientras tanto, se activó la verificación en dos pasos desde otro chat. No se cambió nada más. Si no fuiste tú, contacta con soporte: {contact}',
  'twofa.notOn':
    'Tu cuenta no tiene activada la verificación en dos pasos, así que no hay nada que desactivar. Para activarla, envía /2fa.',
  'twofa.notOnRecovery':
    'Tu cuenta no tiene activada la verificación en dos pasos, así que no tiene códigos de recuperación. Para activarla, envía /2fa.',
  'twofa.disabledDone':
    'Listo: la verificación en dos pasos está desactivada. La entrada de tu app de autenticación y tus códigos de recuperación ya no sirven; puedes borrarlos. Puedes volver a activarla cuando quieras con /2fa. Te envié un aviso al teléfono y al correo.',
  'twofa.newCodes':
    'Listo: aquí tienes tus 10 códigos de recuperación nuevos. Los anteriores ya no sirven. Cada código nuevo sirve una vez. Guárdalos ahora: no te los volveré a mostrar.\n{codes}',
  'twofa.newCodesDone': 'Todo listo. Te envié un aviso al teléfono y al correo.',
  'twofa.noticeEnabledSms':
    'lockstep: se activó la verificación en dos pasos en tu cuenta. Si no fuiste tú, avisa ya a soporte: {contact}',
  'twofa.noticeEnabledSubject': 'Se activó la verificación en dos pasos',
  'twofa.noticeEnabledText':
    'Se acaba de activar la verificación en dos pasos en tu cuenta de lockstep. Los cambios importantes ahora necesitan un código de tu app de autenticación.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
  'twofa.noticeDisabledSms':
    'lockstep: se desactivó la verificación en dos pasos en tu cuenta. Si no fuiste tú, avisa ya a soporte: {contact}',
  'twofa.noticeDisabledSubject': 'Se desactivó la verificación en dos pasos',
  'twofa.noticeDisabledText':
    'Se acaba de desactivar la verificación en dos pasos en tu cuenta de lockstep; ahora solo la protege la contraseña.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
  'twofa.noticeRegeneratedSms':
    'lockstep: hay códigos de recuperación nuevos en tu cuenta; los anteriores ya no sirven. Si no fuiste tú, avisa ya a soporte: {contact}',
  'twofa.noticeRegeneratedSubject': 'Se crearon códigos de recuperación nuevos',
  'twofa.noticeRegeneratedText':
    'Se acaban de crear códigos de recuperación nuevos para tu cuenta de lockstep, y los anteriores ya no sirven.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
} as const;
