/** The console demo adapter. */
export const consoleText = {
  'console.banner':
    'Demo de lockstep en consola. Escribe /menu para ver lo que puedo hacer, /help para obtener ayuda, /cancel para detener una tarea. Pulsa Ctrl-D para salir.',
  'console.demoAccount':
    'La cuenta de demostración {id} (teléfono {phone}, correo {email}) está vinculada a esta consola. Su contraseña es: {password}',
  'console.demoAccountRedis':
    'Usando Redis. La cuenta de demostración {id} ya existe ahí y está vinculada a esta consola; conserva la contraseña que tiene.',
  'console.linkedElsewhere':
    'Esta consola está vinculada a la cuenta {id} (la vinculó un operador), así que no se usó la cuenta de demostración.',
  'console.demoUnlinked':
    'La cuenta de demostración {id} existe, pero esta consola no está vinculada a ella. Envía /link para volver a vincularla.',
  'console.outbox': '[outbox] {channel} a {to}: {text}',
  'console.outboxSubject': '[outbox] correo a {to}, asunto "{subject}":\n{text}',
  'console.choice': '  {number}) {label}',
  'console.choiceHint': '(escribe el número o el texto de una opción)',
  'console.secretHint': '(esta respuesta es secreta; en Telegram y Discord se borra en cuanto se lee)',
  'console.bye': 'Adiós.',
  'console.imageAlt': '[imagen: {alt}]',
} as const;
