import { fromPromise } from 'xstate';
import { activityFlow, activityMachine } from '../../../flows/activity.ts';
import type { FlowDefinition } from '../../../flows/ports.ts';
import type { Channel } from '../../engine/input.ts';
import type { Services } from '../../services.ts';

/** Binds the recent-activity flow's named effects to the real services. */
export function bindActivity(services: Services): FlowDefinition {
  const { activity } = services;
  return {
    ...activityFlow,
    machine: activityMachine.provide({
      actors: {
        loadActivity: fromPromise(({ input }) => activity.recent(input.accountId)),
        signOutEverywhere: fromPromise(({ input }) =>
          activity.signOutEverywhere(input.accountId, input.channel as Channel),
        ),
      },
    }),
  };
}
