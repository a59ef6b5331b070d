/** @module services/sagemaker/list-params — List* request members → ResourceStore query, shared by every List operation. */
import { ValidationException } from '../../protocol/errors.js';
import { InvalidNextTokenError, type ListPage, type ListQuery, type ResourceStore } from '../../storage/resource-store.js';
import type { ResourceKind } from '../../resources/kinds.js';
import type { Timestamp } from './generated/types.js';

/** The members every SageMaker List* request shares (each List*'s generated input has them). */
export interface ListRequest {
  NameContains?: string;
  StatusEquals?: string;
  CreationTimeAfter?: Timestamp;
  CreationTimeBefore?: Timestamp;
  LastModifiedTimeAfter?: Timestamp;
  LastModifiedTimeBefore?: Timestamp;
  SortBy?: string;
  SortOrder?: string;
  MaxResults?: number;
  NextToken?: string;
}

/** Wire timestamps are epoch seconds (JSON numbers); some clients send ISO strings. → epoch ms. */
export function toEpochMs(v: Timestamp | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return v.getTime(); // the generated type allows it (outputs); JSON input never carries one
  if (typeof v === 'number') return Math.round(v * 1000);
  const n = Number(v);
  if (Number.isFinite(n)) return Math.round(n * 1000);
  const d = Date.parse(v);
  if (Number.isNaN(d)) throw new ValidationException(`Invalid timestamp: ${v}`);
  return d;
}

export function toListQuery(input: ListRequest, defaultSortOrder: 'Ascending' | 'Descending'): ListQuery {
  const sortBy = (input.SortBy ?? 'CreationTime') as ListQuery['sortBy'];
  return {
    nameContains: input.NameContains,
    statusEquals: input.StatusEquals,
    creationTimeAfter: toEpochMs(input.CreationTimeAfter),
    creationTimeBefore: toEpochMs(input.CreationTimeBefore),
    lastModifiedTimeAfter: toEpochMs(input.LastModifiedTimeAfter),
    lastModifiedTimeBefore: toEpochMs(input.LastModifiedTimeBefore),
    sortBy,
    sortOrder: (input.SortOrder as ListQuery['sortOrder']) ?? defaultSortOrder,
    maxResults: input.MaxResults,
    nextToken: input.NextToken,
  };
}

/**
 * One page of a List* operation with the shared filters, sort and NextToken; a token the store
 * did not issue answers ValidationException (never an internal error).
 */
export async function listResources<K extends ResourceKind>(
  resources: ResourceStore,
  kind: K,
  input: ListRequest,
  defaultSortOrder: 'Ascending' | 'Descending',
  where?: ListQuery['where'],
): Promise<ListPage<K>> {
  try {
    return await resources.list(kind, { ...toListQuery(input, defaultSortOrder), ...(where ? { where } : {}) });
  } catch (err) {
    if (err instanceof InvalidNextTokenError) throw new ValidationException('Invalid pagination token.');
    throw err;
  }
}
