/**
 * The composition of flows and engine: every guided task bound to the services, and the engine over them.
 * The bindings live here, with the composition root, so services never import a flow.
 */
import type { EngineOptions, FlowDefinition, PushSender } from '../engine/engine.ts';
import { Engine } from '../engine/engine.ts';
import { withTurnScope } from '../kv/read-scope.ts';
import type { Services } from '../services.ts';
import { bindActivity } from './bindings/activity.ts';
import { bindChangeEmail } from './bindings/change-email.ts';
import { bindChangePassword } from './bindings/change-password.ts';
import { bindChangePhone } from './bindings/change-phone.ts';
import { bindCheckup } from './bindings/checkup.ts';
import { bindDisable2fa } from './bindings/disable-2fa.ts';
import { bindEnable2fa } from './bindings/enable-2fa.ts';
import { bindLanguage } from './bindings/language.ts';
import { bindLinkAccount } from './bindings/link-account.ts';
import { bindRecoveryCodes } from './bindings/recovery-codes.ts';
import { bindUnlinkAccount } from './bindings/unlink-account.ts';

/** Every guided task, bound to the services. The order is the menu's order. */
export function createFlows(services: Services): FlowDefinition[] {
  return [
    bindLinkAccount(services),
    bindChangePassword(services),
    bindChangePhone(services),
    bindChangeEmail(services),
    bindEnable2fa(services),
    bindDisable2fa(services),
    bindRecoveryCodes(services),
    bindActivity(services),
    bindCheckup(services),
    bindLanguage(services),
    bindUnlinkAccount(services),
  ];
}

/** The engine over the services, with every flow. */
export function createEngine(
  services: Services,
  push: { readonly push?: PushSender; readonly pushReady?: () => boolean } = {},
  /** More flows besides every task (a test's own flow, the support handoff). */
  extraFlows: readonly FlowDefinition[] = [],
  /**
   * The support desk (`createSupport(...).engineOptions`): escalations, the contact, the handoff deep link;
   * and the observer (metrics).
   */
  support: Pick<EngineOptions, 'escalations' | 'supportContact' | 'deepLinks' | 'observer'> = {},
): Engine {
  return new Engine({
    ...push,
    ...support,
    flows: [...createFlows(services), ...extraFlows],
    sessions: services.sessions,
    identities: {
      accountIdFor: (channel, userId) => services.accounts.linkedId(channel, userId),
      linkKey: (channel, userId) => services.accounts.linkedIdKey(channel, userId),
      accountKey: (accountId) => services.accounts.rawKey(accountId),
      turnScope: withTurnScope,
    },
    clock: services.clock,
    log: services.log,
    idleTimeoutMs: services.options.flowIdleMs,
    taskRecords: services.taskRecords,
  });
}
