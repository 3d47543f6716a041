/**
 * The shared names and types of lockstep: channels and conversation references, replies and the prompt
 * model, flow definitions and events, tags, effect results, code purposes and signal names. This module
 * imports nothing; every other module may import it.
 */
export * from './conversation.ts';
export * from './flow.ts';
export * from './messages.ts';
export * from './reply.ts';
export * from './results.ts';
