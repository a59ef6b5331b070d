/**
 * @module services/sagemaker/api-launcher — the ApiLauncher the pipeline execution controller is
 * given: an operation's request goes through the model validation of the wire surface and then
 * the operation table's own handler, so a pipeline step creates its job exactly as
 * CreateTrainingJob (…) on the wire would, and is refused with the same errors.
 */
import { newRequestContext } from '../../protocol/context.js';
import { validatedInput, type InputValidator } from '../../protocol/validation/input-validator.js';
import type { OperationTable } from '../../protocol/operation-table.js';
import type { ApiLauncher } from '../../resources/pipeline.js';

export function apiLauncher(operations: OperationTable, validate: InputValidator): ApiLauncher {
  return {
    async call(ctx, operation, input) {
      const handler = operations[operation];
      if (!handler) throw new Error(`operation ${operation} is not routed`);
      const checked = validatedInput(validate, operation, input);
      const out = await handler(newRequestContext({ region: ctx.region, accountId: ctx.accountId, operation }), checked);
      return (out ?? {}) as Record<string, unknown>;
    },
  };
}
