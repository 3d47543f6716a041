/** The security checkup: what it found, the fix buttons, the offers made after other tasks, the tip before /phone. */
export const checkup = {
  'menu.checkup': 'Revisión de seguridad',
  'checkup.title': 'tu revisión de seguridad',
  'checkup.found': 'Revisé tu cuenta. Esto es lo que la haría más segura, de lo más importante a lo menos:',
  'checkup.resumed': 'Volvemos a tu revisión de seguridad.',
  'checkup.remaining': 'Esto es lo que queda, de lo más importante a lo menos:',
  'checkup.finding.failedAttempts':
    '• Hace poco se escribieron contraseñas o códigos incorrectos en tu cuenta ({count, plural, one {# vez} other {# veces}} en {days, plural, one {el último día} other {los últimos # días}}). Si no fuiste tú, revisa tu actividad reciente y elige "No fui yo".',
  'checkup.finding.noEmail': '• Añade un correo: otra forma de recuperar el acceso si pierdes el teléfono.',
  'checkup.finding.noPhone':
    '• Añade un número de teléfono: otra forma de recuperar el acceso si pierdes el correo.',
  'checkup.finding.twoFactorOff':
    '• Activa la verificación en dos pasos: así una contraseña robada no basta para entrar.',
  'checkup.finding.fewRecoveryCodes':
    '• Te {left, plural, one {queda # código} other {quedan # códigos}} de recuperación de 10. Crea otros nuevos antes de que se acaben, o perder el teléfono podría dejarte sin acceso.',
  'checkup.finding.passwordBelowPolicy':
    '• Tu contraseña es de las que las reglas de hoy rechazarían (fácil de adivinar, demasiado corta o con tus datos). Elige una nueva y única.',
  'checkup.finding.passwordOld':
    '• No has cambiado tu contraseña desde {since}. Una nueva hace inútiles las filtraciones antiguas.',
  'checkup.finding.passwordWeakHash':
    '• Tu contraseña está guardada con una protección más antigua y débil que la actual. Si la cambias, se guardará de la forma nueva.',
  'checkup.finding.staleDevices':
    '• Hay dispositivos con la sesión iniciada que no se usan desde hace {days, plural, one {# día} other {# días}} o más ({count}). Si no los reconoces todos, cierra la sesión en todos.',
  'checkup.ask':
    'Elige uno para arreglarlo ahora. Cuando termine, te traigo de vuelta aquí. Con /cancel puedes parar cuando quieras.',
  'checkup.fix.activity': 'Revisar mi actividad reciente',
  'checkup.fix.email': 'Añadir un correo',
  'checkup.fix.phone': 'Añadir un número de teléfono',
  'checkup.fix.twoFactor': 'Activar la verificación en dos pasos',
  'checkup.fix.recoveryCodes': 'Crear códigos de recuperación nuevos',
  'checkup.fix.password': 'Cambiar mi contraseña',
  'checkup.choiceLater': 'Ahora no',
  'checkup.willReturn': 'De acuerdo. Cuando esto termine, seguimos con la revisión.',
  'checkup.later': 'De acuerdo, no se cambió nada. Envía /checkup cuando quieras seguir.',
  'checkup.allGood':
    'Todo bien: tu cuenta tiene teléfono y correo, la verificación en dos pasos está activada, tu contraseña está en buen estado y no pasó nada raro. Conviene hacer otra revisión hacia {next}, o enseguida si algo cambia.',
  'checkup.endOfList':
    'Esa era toda la lista, pero todavía no está todo arreglado. Envía /checkup cuando quieras ver lo que queda.',
  'checkup.offer':
    'Por cierto: una revisión de seguridad rápida encontró formas de hacer tu cuenta más segura. ¿Te las muestro?',
  'checkup.choiceShow': 'Muéstramelas',
  'checkup.phoneTip':
    'Consejo: tu cuenta todavía no tiene correo. Añade uno primero, para que puedas seguir entrando si pierdes el número anterior.',
  'checkup.choiceAddEmailFirst': 'Añadir un correo primero',
  'checkup.choicePhoneAnyway': 'Cambiar el número ahora',
} as const;
