/**
 * @module dataplane/request-headers — the header members of InvokeEndpoint and
 * InvokeEndpointWithResponseStream (Content-Type, Accept, X-Amzn-SageMaker-Custom-Attributes,
 * -Inference-Id, -Target-Variant, ...) checked against the official runtime model, so that
 * `CustomAttributes` over 1024 characters, an `InferenceId` over 64 or a non-ASCII `Accept` get the
 * runtime's ValidationError with AWS's wording instead of reaching the container. InvokeEndpointAsync's
 * string headers (Filename, S3OutputPathExtension, ...) are checked the same way; its integer
 * headers are read by ./async/async-invocations.ts.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { compilePattern, formatValidationMessage, validateInput } from '../protocol/validation/validate.js';
import { MODEL } from './generated/model.js';

export type RuntimeOperation = 'InvokeEndpoint' | 'InvokeEndpointWithResponseStream' | 'InvokeEndpointAsync';

/** One header member: wire name, Node's lower-case header name, and its constraints. */
interface HeaderMember {
  readonly wire: string;
  readonly lower: string;
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp | null;
}

/** Every string header member, per operation, from the generated model. */
const HEADER_MEMBERS: Record<RuntimeOperation, readonly HeaderMember[]> = {
  InvokeEndpoint: headerMembers('InvokeEndpoint'),
  InvokeEndpointWithResponseStream: headerMembers('InvokeEndpointWithResponseStream'),
  InvokeEndpointAsync: headerMembers('InvokeEndpointAsync'),
};

function constraintsOf(shapeName: string): { min: number; max: number; pattern: RegExp | null } {
  const shape = MODEL.shapes[shapeName]!;
  return { min: shape.min ?? 0, max: shape.max ?? Infinity, pattern: shape.pattern !== undefined ? compilePattern(shape.pattern) : null };
}

function headerMembers(op: RuntimeOperation): HeaderMember[] {
  const shape = MODEL.shapes[MODEL.operations[op]!]!;
  // Every member but the URI label and the payload is a header (the trimmed model keeps no `location`).
  return Object.entries(shape.members ?? {})
    .filter(([m, target]) => m !== 'EndpointName' && m !== 'Body' && MODEL.shapes[target]?.type === 'string')
    .map(([m, target]) => {
      const wire = shape.locationNames?.[m] ?? m;
      return { wire, lower: wire.toLowerCase(), ...constraintsOf(target) };
    });
}

const ENDPOINT_NAME = constraintsOf('EndpointName');

function satisfies(value: string, c: { min: number; max: number; pattern: RegExp | null }): boolean {
  // Header values are latin1 strings: one UTF-16 unit per character, so length is the model's length.
  return value.length >= c.min && value.length <= c.max && (c.pattern === null || c.pattern.test(value));
}

/**
 * The runtime's ValidationError message for the request's headers and endpoint name, or undefined
 * when they satisfy the model. Repeated headers are judged as Node joins them (", ").
 */
export function headerValidationMessage(op: RuntimeOperation, endpointName: string, headers: IncomingHttpHeaders): string | undefined {
  // Hot path (bench/invoke): the constraints are checked directly; only a request that breaks one
  // goes through the model walker, for AWS's wording.
  const members = HEADER_MEMBERS[op];
  let ok = satisfies(endpointName, ENDPOINT_NAME);
  for (let i = 0; ok && i < members.length; i++) {
    const v = headers[members[i]!.lower];
    if (v !== undefined) ok = satisfies(Array.isArray(v) ? v.join(', ') : v, members[i]!);
  }
  if (ok) return undefined;
  // Body is required by the sync models; its size is judged separately (6 MiB), so an empty stand-in.
  const input: Record<string, unknown> = { EndpointName: endpointName, ...(op === 'InvokeEndpointAsync' ? {} : { Body: '' }) };
  for (const m of members) {
    const v = headers[m.lower];
    if (v !== undefined) input[m.wire] = Array.isArray(v) ? v.join(', ') : v;
  }
  const violations = validateInput(MODEL, op, input);
  return violations.length === 0 ? undefined : formatValidationMessage(violations);
}
