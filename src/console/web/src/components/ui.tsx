/** @module console/components/ui — small shared pieces: status badges, empty/error states, headers, tabs, key-value lists. */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client.js';
import { Link, setQuery } from '../router.js';

const STATUS_TONE: Record<string, string> = {
  Completed: 'ok',
  InService: 'ok',
  Succeeded: 'ok',
  Healthy: 'ok',
  Failed: 'bad',
  Stopped: 'muted',
  Deleting: 'warn',
  Stopping: 'warn',
  InProgress: 'info',
  Creating: 'info',
  Updating: 'info',
  SystemUpdating: 'info',
  RollingBack: 'warn',
  OutOfService: 'bad',
};

export function StatusBadge({ status }: { status: string | undefined }) {
  const s = status ?? 'Unknown';
  return (
    <span className={`badge badge-${STATUS_TONE[s] ?? 'muted'}`} data-status={s}>
      {s}
    </span>
  );
}

export function PageHeader({ title, crumbs, actions, children }: { title: ReactNode; crumbs?: { to: string; label: string }[]; actions?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      {crumbs && (
        <nav aria-label="Breadcrumb" className="crumbs">
          {crumbs.map((c) => (
            <span key={c.to}>
              <Link to={c.to}>{c.label}</Link> /{' '}
            </span>
          ))}
        </nav>
      )}
      <div className="page-title-row">
        <h1>{title}</h1>
        {actions && <div className="actions">{actions}</div>}
      </div>
      {children}
    </header>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" role="status">
      <h2>{title}</h2>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

/** Renders an error with the AWS code and what the user can do next. */
export function ErrorBox({ error, onRetry, what }: { error: unknown; onRetry?: () => void; what?: string }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : error instanceof Error ? error.name : 'Error';
  const msg = error instanceof Error ? error.message : String(error);
  const network = error instanceof TypeError;
  return (
    <div className="error" role="alert">
      <strong>
        {what ? `${what} failed` : 'Something went wrong'}: {code}
      </strong>
      <p>{msg}</p>
      <p className="hint">
        {network
          ? 'The Slipway server did not answer. Check that it is running (`npm start`) and reload.'
          : error instanceof ApiError && error.status >= 500
            ? 'The server had an internal error; its log has the details (request id in the response).'
            : 'Check the values and try again.'}
      </p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Unavailable({ what }: { what: string }) {
  return (
    <EmptyState title={`${what} are not available on this server yet`}>
      <p>This Slipway build answers UnknownOperationException for these APIs. Upgrade the server to use this page.</p>
    </EmptyState>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function Tabs({ tabs, active }: { tabs: { id: string; label: string }[]; active: string }) {
  return (
    <div role="tablist" className="tabs">
      {tabs.map((t) => (
        <button
          key={t.id}
          role="tab"
          type="button"
          aria-selected={t.id === active}
          className={t.id === active ? 'tab active' : 'tab'}
          onClick={() => setQuery({ tab: t.id })}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function KeyValues({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="section" aria-label={title}>
      <div className="section-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function fmtTime(t: unknown): string {
  if (t === undefined || t === null || t === '') return '—';
  const d = typeof t === 'number' ? new Date(t < 1e12 ? t * 1000 : t) : new Date(String(t));
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function toMs(t: unknown): number {
  if (typeof t === 'number') return t < 1e12 ? t * 1000 : t;
  const d = new Date(String(t)).getTime();
  return Number.isNaN(d) ? 0 : d;
}

export function fmtAgo(t: unknown): string {
  const ms = toMs(t);
  if (!ms) return '—';
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 60) return `${Math.max(0, s)}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function fmtBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** A resource's FailureReason, when it has one. */
export function FailureReason({ reason }: { reason: unknown }) {
  if (!reason) return null;
  return (
    <div className="error" role="alert">
      <strong>Failure reason</strong>
      <p>{String(reason)}</p>
    </div>
  );
}
