/** @module console/components/variant-table — a table of production variants: the variant name, then one cell per column. */
import type { ReactNode } from 'react';
import type { Json } from '../api/client.js';

export function VariantTable({ label, variants, columns }: { label?: string; variants: Json[]; columns: [header: string, cell: (v: Json) => ReactNode, className?: string][] }) {
  return (
    <table className="simple" aria-label={label}>
      <thead>
        <tr>
          <th>Variant</th>
          {columns.map(([h]) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {variants.map((v) => (
          <tr key={v.VariantName}>
            <td>{v.VariantName}</td>
            {columns.map(([h, cell, className]) => (
              <td key={h} className={className}>
                {cell(v)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
