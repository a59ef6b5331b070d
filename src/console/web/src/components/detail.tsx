/** @module console/components/detail — the frame of a resource's detail page: header with status, action error and FailureReason; and what shows before the resource loads. */
import type { ReactNode } from 'react';
import type { Async } from '../hooks.js';
import { EmptyState, ErrorBox, FailureReason, Loading, PageHeader, StatusBadge } from './ui.js';

interface Crumb {
  to: string;
  label: string;
}

/**
 * Title, breadcrumb and actions; the status badge (or `children` instead); the error of the
 * header's action (`actionError`, "<actionWhat> failed"); the resource's FailureReason.
 */
export function DetailHeader(p: {
  title: string;
  crumb: Crumb;
  actions?: ReactNode;
  status?: string;
  actionError: unknown;
  actionWhat: string;
  failureReason: unknown;
  children?: ReactNode;
}) {
  return (
    <>
      <PageHeader title={p.title} crumbs={[p.crumb]} actions={p.actions}>
        {p.children ?? <StatusBadge status={p.status} />}
      </PageHeader>
      <ErrorBox error={p.actionError} what={p.actionWhat} />
      <FailureReason reason={p.failureReason} />
    </>
  );
}

/** The resource has not loaded: Loading, or its error — as an empty state when `notFound` says it does not exist. */
export function DetailMissing({
  title,
  crumb,
  load,
  what,
  notFound,
}: {
  title: string;
  crumb: Crumb;
  load: Async<unknown>;
  what: string;
  notFound?: { test: (error: unknown) => boolean; title: string; body: ReactNode };
}) {
  return (
    <>
      <PageHeader title={title} crumbs={[crumb]} />
      {load.error ? (
        notFound?.test(load.error) ? (
          <EmptyState title={notFound.title}>{notFound.body}</EmptyState>
        ) : (
          <ErrorBox error={load.error} what={what} onRetry={load.reload} />
        )
      ) : (
        <Loading />
      )}
    </>
  );
}
