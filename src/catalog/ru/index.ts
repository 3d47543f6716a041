import type { LocaleCatalog } from '../types.ts';
import { activity } from './activity.ts';
import { changeEmail } from './change-email.ts';
import { changePassword } from './change-password.ts';
import { changePhone } from './change-phone.ts';
import { checkup } from './checkup.ts';
import { codes } from './codes.ts';
import { common } from './common.ts';
import { consoleText } from './console.ts';
import { discord } from './discord.ts';
import { language } from './language.ts';
import { linkAccount } from './link-account.ts';
import { fields, prove } from './prove.ts';
import { support } from './support.ts';
import { telegram } from './telegram.ts';
import { twoFactor } from './two-factor.ts';
import { unlinkAccount } from './unlink-account.ts';
import { web } from './web.ts';

/** The Russian catalog: the same files and keys as the English one (src/catalog/en), checked against it. */
export const ru = {
  ...common,
  ...codes,
  ...prove,
  ...fields,
  ...changePassword,
  ...linkAccount,
  ...changePhone,
  ...unlinkAccount,
  ...changeEmail,
  ...consoleText,
  ...web,
  ...telegram,
  ...discord,
  ...support,
  ...twoFactor,
  ...activity,
  ...checkup,
  ...language,
} as const satisfies LocaleCatalog;
