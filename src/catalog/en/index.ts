import { changePassword } from './change-password.ts';
import { codes } from './codes.ts';
import { common } from './common.ts';

/** The English catalog: one object per flow, merged. Keys are namespaced by flow, so they never clash. */
export const en = { ...common, ...codes, ...changePassword } as const;
