/**
 * @module dataplane/request-headers — the header members of InvokeEndpoint and
 * InvokeEndpointWithResponseStream (Content-Type, Accept, X-Amzn-SageMaker-Custom-Attributes,
 * -Inference-Id, -Target-Variant, ...) checked against the official runtime model, so that
 * `CustomAttributes` over 1024 characters, an `InferenceId` over 64 or a non-ASCII `Accept` get the
 * runtime's ValidationError with AWS's wording instead of reaching the container.
 * InvokeEndpointAsync reads and checks its own headers (./async/async-invocations.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { formatValidationMessage, validateInput } from '../protocol/validation/validate.js';
import { MODEL } from '../services/sagemaker-runtime/generated/model.js';

export type SyncOperation = 'InvokeEndpoint' | 'InvokeEndpointWithResponseStream';

/** [wire name, Node's lower-case header name] of every header member, per operation. */
const HEADER_MEMBERS: Record<SyncOperation, readonly (readonly [string, string])[]> = {
  InvokeEndpoint: headerMembers('InvokeEndpoint'),
  InvokeEndpointWithResponseStream: headerMembers('InvokeEndpointWithResponseStream'),
};

function headerMembers(op: SyncOperation): (readonly [string, string])[] {
  const shape = MODEL.shapes[MODEL.operations[op]!]!;
  // Every member but the URI label and the payload is a header (the trimmed model keeps no `location`).
  return Object.keys(shape.members ?? {})
    .filter((m) => m !== 'EndpointName' && m !== 'Body')
    .map((m) => {
      const wire = shape.locationNames?.[m] ?? m;
      return [wire, wire.toLowerCase()] as const;
    });
}

/**
 * The runtime's ValidationError message for the request's headers and endpoint name, or undefined
 * when they satisfy the model. Repeated headers are judged as Node joins them (", ").
 */
export function headerValidationMessage(op: SyncOperation, endpointName: string, headers: IncomingHttpHeaders): string | undefined {
  // Body is required by the model; its size is judged separately (6 MiB), so an empty stand-in.
  const input: Record<string, unknown> = { EndpointName: endpointName, Body: '' };
  for (const [wire, lower] of HEADER_MEMBERS[op]) {
    const v = headers[lower];
    if (v !== undefined) input[wire] = Array.isArray(v) ? v.join(', ') : v;
  }
  const violations = validateInput(MODEL, op, input);
  return violations.length === 0 ? undefined : formatValidationMessage(violations);
}
