/** The unlink-account flow. */
export const unlinkAccount = {
  'menu.unlink': 'Desvincular este chat',
  'unlink.title': 'desvincular este chat',
  'unlink.confirm':
    '¿Quieres desvincular este chat de tu cuenta?\nDespués no podré ayudarte con tu cuenta aquí hasta que lo vuelvas a vincular con /link. Tu cuenta en sí no cambia.',
  'unlink.kept': 'De acuerdo, este chat sigue vinculado. No se cambió nada.',
  'unlink.done':
    'Listo: este chat ya no está vinculado a tu cuenta. Envié un aviso al teléfono y al correo de la cuenta. Para volver a vincularlo, envía /link.',
  'unlink.notLinked':
    'Este chat ya no estaba vinculado a ninguna cuenta, así que no había nada que desvincular.',
  'unlink.noticeSms':
    'lockstep: se acaba de desvincular un chat de {channel} de tu cuenta. Si no fuiste tú, avisa ya a soporte: {contact}',
  'unlink.noticeEmailSubject': 'Se desvinculó un chat de tu cuenta',
  'unlink.noticeEmailText':
    'Se acaba de desvincular un chat de {channel} de tu cuenta de lockstep. Ese chat ya no puede cambiar nada en tu cuenta.\nSi fuiste tú, no tienes que hacer nada más.\nSi no fuiste tú, contacta con soporte ahora mismo ({contact}): es posible que alguien tenga acceso a tu cuenta.',
} as const;
