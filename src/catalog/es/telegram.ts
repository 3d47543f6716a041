/** Messages only the Telegram adapter shows: command descriptions, buttons, adapter-level notices. */
export const telegram = {
  'telegram.cmd.start': 'Empezar y ver lo que puedo hacer',
  'telegram.cmd.menu': 'Ver todas las tareas',
  'telegram.cmd.help': 'Cómo funciona',
  'telegram.cmd.support': 'Hablar con una persona de soporte',
  'telegram.cmd.cancel': 'Detener la tarea actual (no se cambia nada)',
  'telegram.continuePrivately': 'Seguir en un chat privado',
  'telegram.badButton': 'Este botón ya no funciona. Envía /menu para empezar de nuevo.',
  'telegram.unsupportedMessage':
    'Solo puedo leer mensajes de texto. Escribe tu respuesta, o envía /help para ver lo que puedo hacer.',
  'telegram.editedIgnored':
    'Solo leo mensajes nuevos, así que no leí tu edición. Envía tu respuesta otra vez como un mensaje nuevo.',
  'telegram.secretNotDeleted':
    'No pude borrar tu mensaje con la contraseña o el código. Bórralo tú ahora: mantenlo pulsado (o haz clic derecho) y elige Eliminar.',
} as const;
