/**
 * @module protocol/operation-table — a service's operations as the protocol layer looks them up:
 * operation name → handler. The protocol module parses and validates the input against the
 * official model before the handler runs, and serialises what it returns.
 */
import type { RequestContext } from './context.js';

/** `(ctx, input) => output`; throws ServiceErrors, which the protocol renders. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperationHandler = (ctx: RequestContext, input: any) => Promise<unknown> | unknown;
export type OperationTable = Readonly<Record<string, OperationHandler>>;
