/** @module protocol/validation/model-types — the trimmed model format that scripts/generate-validators.mjs emits. */

/** Smithy/botocore shape types that may appear in an input. */
export type ShapeType =
  | 'structure'
  | 'list'
  | 'map'
  | 'string'
  | 'integer'
  | 'long'
  | 'float'
  | 'double'
  | 'boolean'
  | 'timestamp'
  | 'blob';

/**
 * One shape, keeping only what validation reads. `min`/`max` mean characters for strings, bytes
 * for blobs, entries for lists and maps and the value for numbers (as in the model).
 */
export interface ShapeDef {
  readonly type: ShapeType | string;
  /** structure: member name → target shape name. */
  readonly members?: Readonly<Record<string, string>>;
  /** structure: member name → wire key, only where the model gives a different `locationName`. */
  readonly locationNames?: Readonly<Record<string, string>>;
  readonly required?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Java regular expression as published; newer models leave it unanchored (match it whole). */
  readonly pattern?: string;
  readonly enum?: readonly string[];
  /** list: element shape. */
  readonly member?: string;
  /** map: key and value shapes. */
  readonly key?: string;
  readonly value?: string;
  /** structure that is a tagged union (exactly one member set). */
  readonly union?: boolean;
}

/** A service's generated model: every operation (→ input shape, null if none) and the shapes they reach. */
export interface ServiceModel {
  readonly targetPrefix: string;
  readonly operations: Readonly<Record<string, string | null>>;
  readonly shapes: Readonly<Record<string, ShapeDef>>;
}
