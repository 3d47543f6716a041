import type { AnyStateMachine } from 'xstate';
import type { FlowDefinition as CoreFlowDefinition } from '../core/flow.ts';
import type { Choice } from '../core/reply.ts';

export type FlowDefinition = CoreFlowDefinition<AnyStateMachine>;

/** A handler for `/start <payload>` deep links whose payload starts with `prefix`. */
export interface DeepLinkHandler {
  readonly prefix: string;
  /** The flow to start; it receives the whole payload as `args`. */
  readonly flowId: string;
}

/** The flows one engine runs, found by id, by command, by deep link, and listed for a menu. */
export class FlowRegistry {
  private readonly byId: ReadonlyMap<string, FlowDefinition>;
  private readonly byCommand: ReadonlyMap<string, FlowDefinition>;

  constructor(
    readonly all: readonly FlowDefinition[],
    private readonly deepLinks: readonly DeepLinkHandler[] = [],
  ) {
    this.byId = new Map(all.map((flow) => [flow.id, flow]));
    this.byCommand = new Map(all.map((flow) => [flow.command.toLowerCase(), flow]));
  }

  get(id: string): FlowDefinition | undefined {
    return this.byId.get(id);
  }

  command(command: string): FlowDefinition | undefined {
    return this.byCommand.get(command.toLowerCase());
  }

  /** `/start <payload>`: a flow's own command (links from groups), or a registered deep-link prefix. */
  deepLink(payload: string): FlowDefinition | undefined {
    const byCommand = this.byCommand.get(payload.toLowerCase());
    if (byCommand) return byCommand;
    const handler = this.deepLinks.find((link) => payload.startsWith(link.prefix));
    return handler ? this.byId.get(handler.flowId) : undefined;
  }

  /** The menu for a chat that is linked to an account or not. */
  menu(linked: boolean): Choice[] {
    const audience = linked ? 'linked' : 'unlinked';
    return this.all
      .filter((flow) => flow.menuLabel && (flow.audience === 'any' || flow.audience === audience))
      .map((flow) => ({
        value: `menu:${flow.id}`,
        label: flow.menuLabel as NonNullable<typeof flow.menuLabel>,
      }));
  }

  /** Some flow serves chats that are not linked yet (so "link first" can be offered). */
  get canLink(): boolean {
    return this.all.some((flow) => flow.audience === 'unlinked');
  }
}
