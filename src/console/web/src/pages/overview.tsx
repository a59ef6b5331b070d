/** @module console/pages/overview — counts by status, recent activity, Docker engine and disk. */
import { ApiError, health, listAll, type Json } from '../api/client.js';
import { usePoll } from '../hooks.js';
import { Link, seg } from '../router.js';
import { EmptyState, ErrorBox, fmtAgo, fmtBytes, fmtDuration, Loading, PageHeader, Section, StatusBadge, toMs } from '../components/ui.js';

interface Kind {
  title: string;
  op: string;
  key: string;
  name: string;
  status: string;
  path: string;
}

const KINDS: Kind[] = [
  { title: 'Training jobs', op: 'ListTrainingJobs', key: 'TrainingJobSummaries', name: 'TrainingJobName', status: 'TrainingJobStatus', path: '/training-jobs' },
  { title: 'Processing jobs', op: 'ListProcessingJobs', key: 'ProcessingJobSummaries', name: 'ProcessingJobName', status: 'ProcessingJobStatus', path: '/processing-jobs' },
  { title: 'Transform jobs', op: 'ListTransformJobs', key: 'TransformJobSummaries', name: 'TransformJobName', status: 'TransformJobStatus', path: '/transform-jobs' },
  { title: 'Endpoints', op: 'ListEndpoints', key: 'Endpoints', name: 'EndpointName', status: 'EndpointStatus', path: '/endpoints' },
  { title: 'Models', op: 'ListModels', key: 'Models', name: 'ModelName', status: '', path: '/models' },
];

async function loadKind(k: Kind): Promise<Json[] | null> {
  try {
    return await listAll(k.op, k.key, { SortBy: 'CreationTime', SortOrder: 'Descending' }, 2000);
  } catch (e) {
    if (e instanceof ApiError && e.unavailable) return null;
    throw e;
  }
}

export function OverviewPage() {
  const h = usePoll(() => health(), [], 5000);
  const lists = usePoll(() => Promise.all(KINDS.map(loadKind)), [], 5000);

  const recent =
    lists.data
      ?.flatMap((items, i) =>
        (items ?? []).map((it) => ({
          kind: KINDS[i]!,
          name: String(it[KINDS[i]!.name]),
          status: KINDS[i]!.status ? String(it[KINDS[i]!.status]) : 'Created',
          at: toMs(it.LastModifiedTime ?? it.TrainingEndTime ?? it.CreationTime),
        })),
      )
      .sort((a, b) => b.at - a.at)
      .slice(0, 12) ?? [];

  return (
    <>
      <PageHeader title="Overview" />
      <div className="grid-2">
        <Section title="Server">
          {h.error ? (
            <ErrorBox error={h.error} what="Health check" onRetry={h.reload} />
          ) : !h.data ? (
            <Loading />
          ) : (
            <ul className="facts">
              <li>
                Docker engine:{' '}
                {h.data.docker.reachable ? (
                  <span className="badge badge-ok">reachable</span>
                ) : (
                  <span className="badge badge-bad">not reachable — start it with `dockerd` or `npm start`</span>
                )}
              </li>
              <li>Version: {h.data.version}</li>
              <li>Up for: {fmtDuration(h.data.uptimeSeconds * 1000)}</li>
              <li>
                Disk use of SLIPWAY_HOME:{' '}
                {h.data.disk?.usedBytes !== undefined
                  ? `${fmtBytes(h.data.disk.usedBytes)} used${h.data.disk.freeBytes !== undefined ? `, ${fmtBytes(h.data.disk.freeBytes)} free` : ''}`
                  : 'not reported by this server'}
              </li>
            </ul>
          )}
        </Section>
        <Section title="Resources">
          {lists.error ? (
            <ErrorBox error={lists.error} what="Listing resources" onRetry={lists.reload} />
          ) : !lists.data ? (
            <Loading />
          ) : (
            <div className="cards">
              {KINDS.map((k, i) => {
                const items = lists.data![i];
                const counts: Record<string, number> = {};
                for (const it of items ?? []) {
                  const s = k.status ? String(it[k.status]) : 'Total';
                  counts[s] = (counts[s] ?? 0) + 1;
                }
                return (
                  <Link key={k.op} to={k.path} className="card" aria-label={`${k.title}: ${items ? items.length : 'not available'}`}>
                    <div className="card-title">{k.title}</div>
                    <div className="card-count">{items ? items.length : '—'}</div>
                    <div className="card-sub">
                      {items === null
                        ? 'not available'
                        : Object.entries(counts).map(([s, n]) => (
                            <span key={s} className="count-chip">
                              {s} {n}
                            </span>
                          ))}
                    </div>
                  </Link>
                );
              })}
            </div>
          )}
        </Section>
      </div>
      <Section title="Recent activity">
        {!lists.data ? (
          lists.error ? null : <Loading />
        ) : recent.length === 0 ? (
          <EmptyState title="Nothing has happened yet">
            <p>
              Start a training job with the AWS CLI or SDK (point it at this server with <code>--endpoint-url {window.location.origin}</code>),
              or <Link to="/training-jobs/new">create one here</Link>.
            </p>
          </EmptyState>
        ) : (
          <ul className="activity">
            {recent.map((r) => (
              <li key={r.kind.path + r.name}>
                <span className="muted">{r.kind.title.replace(/s$/, '')}</span>{' '}
                <Link to={`${r.kind.path}/${seg(r.name)}`}>{r.name}</Link> {r.kind.status && <StatusBadge status={r.status} />}{' '}
                <span className="muted">{fmtAgo(r.at)}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
