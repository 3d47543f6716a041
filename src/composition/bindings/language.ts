import { fromPromise } from 'xstate';
import { languageFlow, languageMachine } from '../../../flows/language.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Services } from '../../services.ts';

/** Binds the language flow: the choice is stored on the account too (its SMS and email notices). */
export function bindLanguage(services: Services): FlowDefinition {
  const { accounts } = services;
  return {
    ...languageFlow,
    machine: languageMachine.provide({
      actors: {
        saveLanguage: fromPromise(async ({ input }) => {
          await accounts.update(input.accountId, (account) => ({ ...account, locale: input.locale }));
        }),
      },
    }),
  };
}
