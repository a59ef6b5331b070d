/**
 * @module resources/kinds — the SageMaker resource kinds Slipway keeps, and the shape of a stored
 * resource record: the Describe document (`doc`) beside the controller's own bookkeeping (`internal`).
 */

export type ResourceKind =
  | 'training-job'
  | 'processing-job'
  | 'transform-job'
  | 'model'
  | 'endpoint-config'
  | 'endpoint';

export interface ResourceRecord<D = Record<string, unknown>, I = Record<string, unknown>> {
  kind: ResourceKind;
  name: string;
  arn: string;
  status: string;
  /** Epoch milliseconds. */
  creationTime: number;
  lastModifiedTime: number;
  /** The Describe* output as stored (timestamps as epoch seconds). */
  doc: D;
  /** Controller bookkeeping that is not part of the API (container ids, attempts, ...). */
  internal: I;
}

/** A resource tag (AddTags, Create* `Tags`). */
export interface Tag {
  Key: string;
  Value: string;
}
