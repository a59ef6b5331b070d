/**
 * @module controllers/resolve-image — `runtime.resolveImage` for controllers: a cluster engine's
 * refusal of an image it cannot run everywhere (ImageUnavailableError: only in the manager's engine,
 * to be pushed to Slipway's registry) becomes a TerminalFailure, since retrying cannot help and the
 * next move is the user's. Nothing has been created when it is thrown. docs/cluster.md, "Images".
 */
import { ImageUnavailableError, type ContainerRuntime, type ResolvedImage } from '../runtime/container-runtime.js';
import { TerminalFailure } from './terminal-failure.js';

/** `client`: jobs word the reason as SageMaker's ClientError; endpoints take it as it is. */
export async function resolveImageOrFail(runtime: ContainerRuntime, ref: string, client: boolean): Promise<ResolvedImage | undefined> {
  try {
    return await runtime.resolveImage(ref);
  } catch (err) {
    if (!(err instanceof ImageUnavailableError)) throw err;
    throw client ? TerminalFailure.client(err.message) : new TerminalFailure(err.message);
  }
}
