/** @module services/logs/filter-error — the error a filter pattern that does not parse throws (FilterLogEvents answers InvalidParameterException). */
export class FilterPatternError extends Error {}
