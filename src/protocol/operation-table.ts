/**
 * @module protocol/operation-table — a service's operations as the protocol layer looks them up:
 * operation name → handler. The protocol module parses and validates the input against the
 * official model before the handler runs, and serialises what it returns.
 *
 * Services write their handlers against their generated `Operations` map
 * (services/<svc>/generated/types.ts) as `OperationHandlers<Operations>`, so each handler's input
 * and output are the model's; `operationTable` erases those types for the surfaces, which only
 * look handlers up by name. The protocol layer stays generic: it never names a service's types.
 */
import type { RequestContext } from './context.js';

/** One operation's input and output types, as the generated `Operations` maps declare them. */
export interface OperationTypes {
  input: unknown;
  output: unknown;
}

/** A service's handlers, each typed by its operation's input and output; operations not routed are left out. */
export type OperationHandlers<Ops extends { [K in keyof Ops]: OperationTypes }> = {
  [K in keyof Ops]?: (ctx: RequestContext, input: Ops[K]['input']) => Promise<Ops[K]['output']> | Ops[K]['output'];
};

/** `(ctx, input) => output` as a surface calls it; throws ServiceErrors, which the protocol renders. */
export type OperationHandler = (ctx: RequestContext, input: unknown) => Promise<unknown> | unknown;
export type OperationTable = Readonly<Record<string, OperationHandler>>;

/**
 * The surfaces' view of typed handlers. Sound because a surface hands each handler the input it
 * validated against the same model its types were generated from (members the model lacks are
 * pruned); a service without validation (STS) routes only operations without input.
 */
export function operationTable<Ops extends { [K in keyof Ops]: OperationTypes }>(handlers: OperationHandlers<Ops>): OperationTable {
  return handlers as OperationTable;
}

/**
 * `Ops` with the outputs of some operations replaced: for a service that answers with a stored
 * document typed in resources/ (which sits below services and cannot name their generated types).
 */
export type WithOutputs<Ops extends { [K in keyof Ops]: OperationTypes }, Outs extends { [K in keyof Outs]: unknown }> = {
  [K in keyof Ops]: K extends keyof Outs ? { input: Ops[K]['input']; output: Outs[K] } : Ops[K];
};
