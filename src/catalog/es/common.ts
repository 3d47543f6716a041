/** Messages of the engine itself: global commands, menu, errors that any flow can hit. */
export const common = {
  'common.welcome':
    '¡Hola! Soy lockstep. Te ayudo a mantener tu cuenta segura: cambiar tu contraseña, actualizar tu teléfono o tu correo, activar la verificación en dos pasos y más.\nElige abajo lo que quieres hacer, o envía /help cuando quieras.',
  'common.welcomeUnlinked':
    '¡Hola! Soy lockstep. Te ayudo a mantener tu cuenta segura.\nEste chat todavía no está vinculado a ninguna cuenta. Vincúlalo primero y después podrás cambiar tu contraseña, tu teléfono, tu correo y más.',
  'common.menu': '¿Qué quieres hacer?',
  'common.help':
    'Esto es lo que puedo hacer:\n/menu - ver todas las tareas\n/cancel - detener la tarea actual (no se cambia nada)\n/help - este mensaje\n\nDurante una tarea, solo responde a mis preguntas. No se cambia nada hasta el último paso, y puedes parar cuando quieras con /cancel.',
  'common.helpTasks': 'Tareas que puedes empezar:\n{tasks}',
  'common.helpTask': '/{command} - {label}',
  'common.cancelled': 'Tarea detenida. No se cambió nada. Envía /menu cuando quieras hacer otra cosa.',
  'common.cancelledAfterChange':
    'Cerrado. El cambio que ya confirmaste se mantiene; no se cambió nada más. Envía /menu cuando quieras hacer otra cosa.',
  'common.nothingToCancel': 'Ahora mismo no hay nada que cancelar. Envía /menu para ver lo que puedo hacer.',
  'common.notUnderstood':
    'Lo siento, no te entendí. Envía /menu para ver lo que puedo hacer, o /help para obtener ayuda.',
  'common.unknownCommand': 'No conozco el comando /{command}. Envía /menu para ver lo que puedo hacer.',
  'common.pickOne': 'Elige una de las opciones de abajo, por favor.',
  'common.staleChoice': 'Ese botón es de un mensaje anterior. Seguimos desde aquí:',
  'common.busyInFlow':
    'Estás en medio de otra tarea ({flow}). Termínala primero, o envía /cancel para detenerla.',
  'common.needLink':
    'Este chat todavía no está vinculado a ninguna cuenta, así que no puedo hacer eso. Primero vincula tu cuenta con /link.',
  'common.needLinkNoFlow':
    'Este chat todavía no está vinculado a ninguna cuenta. Un administrador puede vincularlo; después, envía /menu.',
  'common.privateOnly':
    'Por tu seguridad, esto solo lo hago en un chat privado conmigo. Abre un chat privado y envía /{command} allí.',
  'common.expired':
    'Tu tarea anterior ({flow}) se detuvo tras {minutes, plural, one {# minuto} other {# minutos}} sin respuesta, así que no se cambió nada. Puedes empezar de nuevo cuando quieras.',
  'common.expiredAfterChange':
    'Tu tarea anterior ({flow}) se cerró tras {minutes, plural, one {# minuto} other {# minutos}} sin respuesta. El cambio que habías confirmado se mantiene.',
  'common.flowReset':
    'Me actualizaron mientras estabas en medio de una tarea ({flow}), así que esa tarea se reinició. No se cambió nada. Empieza de nuevo, por favor.',
  'common.internalError':
    'Lo siento, algo falló por nuestra parte. No se cambió nada. Inténtalo de nuevo en un momento, o envía /cancel para empezar de cero.',
  'common.unavailable':
    'Lo siento, ahora mismo no puedo acceder a mis registros, así que no leí tu mensaje. No se cambió nada. Inténtalo de nuevo en un minuto.',
  'common.secretNotDeleted':
    'No pude borrar tu mensaje con la contraseña o el código. Bórralo tú ahora, por favor.',
  'common.tooLong':
    'Ese mensaje es demasiado largo para mí (como máximo 4096 caracteres). No se cambió nada. Envía uno más corto, por favor.',
  'common.timeout':
    'Lo siento, esto está tardando más de lo normal. No se cambió nada. Inténtalo de nuevo en un momento.',
  'common.secretDeleted': 'Por tu seguridad, borré de este chat tu mensaje con la contraseña o el código.',
  'common.startPayloadUnknown':
    'Ese enlace no es válido o ya se usó. Envía /menu para ver lo que puedo hacer.',
  'common.choiceCancel': 'Cancelar',
  'common.choiceYes': 'Sí',
  'common.choiceNo': 'No',
  'common.unlinkedTitle': 'sin vincular',
  'menu.password': 'Cambiar mi contraseña',
} as const;
