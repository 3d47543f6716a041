import { type AnyActorRef, type AnyStateMachine, createActor, type InspectionEvent } from 'xstate';
import {
  AWAITING_INPUT,
  type FlowEvent,
  type FlowInput,
  type FlowOutput,
  type ReplyEvent,
} from '../core/flow.ts';
import type { Reply } from '../core/reply.ts';

export class FlowCrashed extends Error {
  override readonly name = 'FlowCrashed';
}

export class StepTimeout extends Error {
  override readonly name = 'StepTimeout';
}

/** What one step of a flow produced. */
export interface FlowRun {
  readonly replies: Reply[];
  readonly done: boolean;
  readonly output: FlowOutput | undefined;
  /** The settled persisted snapshot (children included); null when done. */
  readonly snapshot: unknown;
  /** The tags of every active machine in the tree, deepest last. */
  readonly tags: ReadonlySet<string>;
}

export type FlowStart = { readonly snapshot: unknown } | { readonly input: FlowInput };

// biome-ignore lint/suspicious/noExplicitAny: snapshots of any machine in the tree
type AnySnapshot = any;

function activeChildren(snapshot: AnySnapshot): AnySnapshot[] {
  const children = Object.values((snapshot?.children ?? {}) as Record<string, AnyActorRef>);
  return children.map((child) => child.getSnapshot()).filter((child) => child?.status === 'active');
}

/** A promise (or any non-machine actor) is still running somewhere in the tree. */
function busy(snapshot: AnySnapshot): boolean {
  return activeChildren(snapshot).some((child) => child.machine === undefined || busy(child));
}

/** Some machine in the tree waits for the user. */
function waiting(snapshot: AnySnapshot): boolean {
  if (snapshot.hasTag?.(AWAITING_INPUT)) return true;
  return activeChildren(snapshot).some((child) => child.machine !== undefined && waiting(child));
}

function collectTags(snapshot: AnySnapshot, into: Set<string>): Set<string> {
  for (const tag of snapshot.tags ?? []) into.add(tag);
  for (const child of activeChildren(snapshot)) if (child.machine !== undefined) collectTags(child, into);
  return into;
}

/**
 * Runs one step of a flow: restores its actor (and every invoked child) from a persisted snapshot or starts
 * it, sends one event, and waits until the whole tree settles: no promise actor runs anywhere and the
 * deepest active machine waits for input, or the root is done. Replies emitted by any actor of the tree
 * are collected in order. Only settled snapshots are ever returned, so nothing re-runs on restore.
 */
export function runFlowStep(
  machine: AnyStateMachine,
  start: FlowStart,
  event: FlowEvent | null,
  timeoutMs: number,
): Promise<FlowRun> {
  const replies: Reply[] = [];
  return new Promise<FlowRun>((resolve, reject) => {
    let root: AnyActorRef | null = null;
    let finished = false;
    let scheduled = false;
    let crashed: unknown = null;
    const finish = (outcome: () => FlowRun): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      } finally {
        root?.stop();
      }
    };
    const fail = (error: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      root?.stop();
      reject(error);
    };
    const check = (): void => {
      if (scheduled || finished || root === null) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        if (finished || root === null) return;
        const snapshot = root.getSnapshot();
        if (snapshot.status === 'error' || crashed) {
          fail(new FlowCrashed(machine.id, { cause: crashed ?? snapshot.error }));
          return;
        }
        if (snapshot.status === 'done') {
          finish(() => ({
            replies,
            done: true,
            output: snapshot.output as FlowOutput | undefined,
            snapshot: null,
            tags: new Set(),
          }));
          return;
        }
        if (snapshot.status === 'active' && !busy(snapshot) && waiting(snapshot)) {
          finish(() => ({
            replies,
            done: false,
            output: undefined,
            snapshot: root?.getPersistedSnapshot(),
            tags: collectTags(snapshot, new Set()),
          }));
        }
      });
    };
    const timer = setTimeout(
      () => fail(new StepTimeout(`${machine.id} did not settle within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const inspect = (inspection: InspectionEvent): void => {
        if (inspection.type === '@xstate.actor') {
          (inspection.actorRef as AnyActorRef).on('reply', (emitted: ReplyEvent) => {
            const { type: _type, ...reply } = emitted;
            replies.push(reply);
          });
        } else if (inspection.type === '@xstate.snapshot') {
          check();
        }
      };
      root =
        'snapshot' in start
          ? // biome-ignore lint/suspicious/noExplicitAny: persisted snapshots are untyped JSON by nature
            createActor(machine, { snapshot: start.snapshot as any, inspect })
          : createActor(machine, { input: start.input, inspect });
      root.subscribe({ error: (error: unknown) => (crashed = error) });
      root.start();
      if (event) root.send(event);
      check();
    } catch (error) {
      fail(new FlowCrashed(machine.id, { cause: error }));
    }
  });
}

/** The tags of a persisted flow (children included), without running it; empty when it cannot be restored. */
export function persistedTags(machine: AnyStateMachine, snapshot: unknown): ReadonlySet<string> {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: persisted snapshots are untyped JSON by nature
    const actor = createActor(machine, { snapshot: snapshot as any });
    const tags = collectTags(actor.getSnapshot(), new Set());
    return tags;
  } catch {
    return new Set();
  }
}

/** The state value of a persisted flow (its deepest active machine's too), as text; null when unreadable. */
export function persistedValue(machine: AnyStateMachine, snapshot: unknown): string | null {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: persisted snapshots are untyped JSON by nature
    const actor = createActor(machine, { snapshot: snapshot as any });
    const parts: string[] = [];
    let current: AnySnapshot = actor.getSnapshot();
    while (current) {
      parts.push(typeof current.value === 'string' ? current.value : JSON.stringify(current.value));
      current = activeChildren(current).find((child) => child.machine !== undefined);
    }
    return parts.join(' > ');
  } catch {
    return null;
  }
}
