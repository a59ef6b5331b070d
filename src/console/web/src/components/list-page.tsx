/** @module console/components/list-page — the scaffolding every list page shares: the search filter and the error / loading / empty / table states. */
import type { ReactNode } from 'react';
import type { Async } from '../hooks.js';
import { setQuery } from '../router.js';
import { EmptyState, ErrorBox, Loading } from './ui.js';

/** The `?q=` name search, plus any further filters as children. */
export function SearchFilter({ q, label, children }: { q: string; label?: string; children?: ReactNode }) {
  return (
    <div className="filters" role="search">
      <label>
        Search <input type="search" aria-label={label} value={q} onChange={(e) => setQuery({ q: e.target.value })} placeholder="name contains" />
      </label>
      {children}
    </div>
  );
}

/**
 * What a list shows: the listing error (with Retry), Loading until the first answer, an empty
 * state with `emptyTitle` and `empty` help when there is nothing, else `children` (the table).
 */
export function ListState({ list, what, emptyTitle, empty, children }: { list: Async<unknown[]>; what: string; emptyTitle: string; empty: ReactNode; children: ReactNode }) {
  return (
    <>
      <ErrorBox error={list.error} what={what} onRetry={list.reload} />
      {!list.data ? list.error ? null : <Loading /> : list.data.length === 0 ? <EmptyState title={emptyTitle}>{empty}</EmptyState> : children}
    </>
  );
}
