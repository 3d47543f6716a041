/** Messages only the Discord adapter shows: command descriptions, buttons, forms, adapter-level notices. */
export const discord = {
  'discord.cmd.security': 'Mira lo que puedo hacer para proteger tu cuenta',
  'discord.cmd.menu': 'Ver todas las tareas (igual que /security)',
  'discord.cmd.help': 'Cómo funciona',
  'discord.cmd.cancel': 'Detener la tarea actual (no se cambia nada)',
  'discord.cmd.support': 'Hablar con una persona de soporte',
  'discord.cmd.start': 'Empezar y ver lo que puedo hacer',
  'discord.cmd.recover': 'Continuar con el código que te dio un agente de soporte',
  'discord.cmd.recoverCode': 'El código del agente de soporte',
  'discord.cmd.task': 'Una tarea de seguridad',
  'discord.formButton': 'Continuar',
  'discord.continueInDm': 'Continuar por mensaje directo',
  'discord.secretHint':
    'Pulsa Continuar para escribirlo en un formulario privado que solo ves tú. Nunca lo escribas como mensaje.',
  'discord.textHint': 'Pulsa Continuar para escribir tu respuesta.',
  'discord.textHintDm': 'Escribe aquí tu respuesta, o pulsa Continuar para usar un formulario.',
  'discord.modalTitle': 'lockstep',
  'discord.field.answer': 'Tu respuesta',
  'discord.field.secret': 'Contraseña o código',
  'discord.field.repeat': 'Lo mismo otra vez, por si hay un error',
  'discord.field.secretNote': 'Solo tú ves lo que escribes aquí. No se publica en el chat.',
  'discord.staleButton':
    'Ese botón (o formulario) es de un paso anterior, así que no lo usé. No se cambió nada. Seguimos desde aquí:',
  'discord.staleNothing':
    'Ese botón (o formulario) es de un paso anterior, así que no lo usé. No se cambió nada, y ahora mismo no hay nada pendiente de respuesta. Envía /security para ver lo que puedo hacer.',
  'discord.stepBusy': 'Todavía estoy con tu última respuesta. Espera un momento, por favor.',
  'discord.secretInDm':
    'No usé ese mensaje: las contraseñas y los códigos solo van en el formulario privado, así que pulsa Continuar abajo. En un mensaje directo no puedo borrar tu mensaje, así que bórralo tú ahora: pasa el cursor por encima (o mantenlo pulsado) y elige Eliminar.',
  'discord.secretChangeIt':
    'Si era una contraseña real, cámbiala pronto: un mensaje puede quedarse en el historial del chat y en las notificaciones.',
  'discord.secretNotDeleted':
    'En un mensaje directo no puedo borrar tu mensaje, así que bórralo tú ahora: pasa el cursor por encima (o mantenlo pulsado) y elige Eliminar.',
  'discord.secretDeletedServer':
    'Escribiste un mensaje en un canal del servidor mientras yo esperaba una contraseña o un código. Por tu seguridad lo borré y no lo usé. Las contraseñas y los códigos solo van en el formulario privado: pulsa Continuar en mi mensaje que solo ves tú.',
  'discord.secretNotDeletedServer':
    'Escribiste un mensaje en un canal del servidor mientras yo esperaba una contraseña o un código. No lo usé, pero no pude borrarlo (ahí necesito el permiso Gestionar mensajes), así que bórralo tú ahora. Las contraseñas y los códigos solo van en el formulario privado: pulsa Continuar en mi mensaje que solo ves tú.',
  'discord.secretPublicNotice':
    'Nunca escribas una contraseña o un código en un canal: usa el botón Continuar de mi mensaje que solo ves tú.',
  'discord.unsupportedMessage':
    'Solo puedo leer mensajes de texto. Escribe tu respuesta, o envía /help para ver lo que puedo hacer.',
  'discord.dmClosed':
    'Intenté escribirte por mensaje directo, pero tienes los mensajes directos cerrados para mí, así que te lo digo aquí:',
  'discord.dmClosedStart':
    'No puedo escribirte por mensaje directo porque los tienes cerrados para mí. Para permitirlos, abre el menú del servidor, elige Ajustes de privacidad y activa los mensajes directos. O simplemente sigue aquí.',
  'discord.movedToDm': 'Te escribí por mensaje directo. Sigue allí, por favor.',
  'discord.dmHello': 'Ya estamos en privado. Sigamos:',
  'discord.lateReply':
    'Pasó demasiado tiempo para responderte en el servidor, así que te respondo por mensaje directo:',
  'discord.stopping':
    'Me estoy reiniciando ahora mismo, así que no leí eso. No se cambió nada. Inténtalo de nuevo en un minuto.',
} as const;
