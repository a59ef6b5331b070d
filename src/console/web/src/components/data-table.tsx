/**
 * @module console/components/data-table — a virtualised, sortable table: only the visible rows
 * are in the DOM, so thousands of jobs render and filter instantly. ARIA grid roles keep it
 * readable by screen readers; headers are buttons for keyboard sorting.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState, type ReactNode } from 'react';

export interface Column<T> {
  id: string;
  header: string;
  /** CSS grid track, e.g. `2fr` or `140px`. */
  width?: string;
  render: (row: T) => ReactNode;
  /** Value to sort by; the column is not sortable without it. */
  sort?: (row: T) => string | number;
}

const ROW_HEIGHT = 40;

export function DataTable<T>({
  rows,
  columns,
  rowKey,
  label,
  initialSort,
  maxHeight = 560,
  empty,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  label: string;
  initialSort?: { id: string; desc: boolean };
  maxHeight?: number;
  empty?: ReactNode;
}) {
  const [sort, setSort] = useState(initialSort);
  const sorted = useMemo(() => {
    const col = columns.find((c) => c.id === sort?.id);
    if (!col?.sort || !sort) return rows;
    const get = col.sort;
    const dir = sort.desc ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = get(a);
      const y = get(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
  }, [rows, columns, sort]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const template = columns.map((c) => c.width ?? '1fr').join(' ');

  return (
    <div className="table" role="table" aria-label={label} aria-rowcount={sorted.length + 1}>
      <div className="table-row table-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => {
          const active = sort?.id === c.id;
          return (
            <div
              key={c.id}
              role="columnheader"
              aria-sort={active ? (sort!.desc ? 'descending' : 'ascending') : 'none'}
              className="table-cell"
            >
              {c.sort ? (
                <button type="button" className="sort" onClick={() => setSort({ id: c.id, desc: active ? !sort!.desc : false })}>
                  {c.header}
                  <span aria-hidden="true">{active ? (sort!.desc ? ' ▼' : ' ▲') : ''}</span>
                </button>
              ) : (
                c.header
              )}
            </div>
          );
        })}
      </div>
      {sorted.length === 0 ? (
        <div className="table-empty">{empty ?? 'Nothing to show.'}</div>
      ) : (
        <div ref={scrollRef} className="table-body" style={{ maxHeight }} data-testid="table-body">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((v) => {
              const row = sorted[v.index]!;
              return (
                <div
                  key={rowKey(row)}
                  role="row"
                  aria-rowindex={v.index + 2}
                  className="table-row"
                  data-row-key={rowKey(row)}
                  style={{ gridTemplateColumns: template, transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}
                >
                  {columns.map((c) => (
                    <div key={c.id} role="cell" className="table-cell">
                      {c.render(row)}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      )}
      <div className="table-foot" aria-live="polite">
        {sorted.length} {sorted.length === 1 ? 'item' : 'items'}
      </div>
    </div>
  );
}
