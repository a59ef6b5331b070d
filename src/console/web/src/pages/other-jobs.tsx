/**
 * @module console/pages/other-jobs — processing and transform jobs: the same list/detail
 * pattern as training, with inputs/outputs linked to the storage browser. Servers without these
 * APIs (UnknownOperationException) get a "not available" state.
 */
import { useMemo } from 'react';
import { ApiError, listAll, sm, type Json } from '../api/client.js';
import { DataTable, type Column } from '../components/data-table.js';
import { LogViewer } from '../components/log-viewer.js';
import { DetailHeader, DetailMissing } from '../components/detail.js';
import { ListState, SearchFilter } from '../components/list-page.js';
import { fmtTime, KeyValues, PageHeader, Section, StatusBadge, toMs, Unavailable } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { Link, seg, useLocation } from '../router.js';
import { S3Link } from './training-jobs.js';

export interface JobKind {
  kind: 'processing' | 'transform';
  title: string;
  path: string;
  list: string;
  listKey: string;
  describe: string;
  stop: string;
  nameField: string;
  statusField: string;
}

export const PROCESSING: JobKind = {
  kind: 'processing',
  title: 'Processing jobs',
  path: '/processing-jobs',
  list: 'ListProcessingJobs',
  listKey: 'ProcessingJobSummaries',
  describe: 'DescribeProcessingJob',
  stop: 'StopProcessingJob',
  nameField: 'ProcessingJobName',
  statusField: 'ProcessingJobStatus',
};

export const TRANSFORM: JobKind = {
  kind: 'transform',
  title: 'Transform jobs',
  path: '/transform-jobs',
  list: 'ListTransformJobs',
  listKey: 'TransformJobSummaries',
  describe: 'DescribeTransformJob',
  stop: 'StopTransformJob',
  nameField: 'TransformJobName',
  statusField: 'TransformJobStatus',
};

export function OtherJobsPage({ k }: { k: JobKind }) {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const jobs = usePoll(() => listAll(k.list, k.listKey, { SortBy: 'CreationTime', SortOrder: 'Descending' }), [k.list], 5000);
  const rows = useMemo(() => (jobs.data ?? []).filter((j) => String(j[k.nameField]).toLowerCase().includes(q.toLowerCase())), [jobs.data, q, k]);
  const columns: Column<Json>[] = [
    { id: 'name', header: 'Name', width: '3fr', render: (j) => <Link to={`${k.path}/${seg(j[k.nameField])}`}>{j[k.nameField]}</Link>, sort: (j) => j[k.nameField] },
    { id: 'status', header: 'Status', width: '140px', render: (j) => <StatusBadge status={j[k.statusField]} />, sort: (j) => j[k.statusField] },
    { id: 'created', header: 'Created', width: '2fr', render: (j) => fmtTime(j.CreationTime), sort: (j) => toMs(j.CreationTime) },
  ];
  if (jobs.error instanceof ApiError && jobs.error.unavailable) {
    return (
      <>
        <PageHeader title={k.title} />
        <Unavailable what={k.title} />
      </>
    );
  }
  return (
    <>
      <PageHeader title={k.title} />
      <SearchFilter q={q} />
      <ListState
        list={jobs}
        what={`Listing ${k.title.toLowerCase()}`}
        emptyTitle={`No ${k.title.toLowerCase()} yet`}
        empty={<p>Start one from boto3, the AWS CLI or the SDK pointed at {window.location.origin}; it shows up here.</p>}
      >
        <DataTable label={k.title} rows={rows} columns={columns} rowKey={(j) => j[k.nameField]} initialSort={{ id: 'created', desc: true }} />
      </ListState>
    </>
  );
}

export function OtherJobDetailPage({ k, name }: { k: JobKind; name: string }) {
  const job = usePoll((s) => sm(k.describe, { [k.nameField]: name }, s), [name, k.describe], 2500);
  const stop = useAction(() => sm(k.stop, { [k.nameField]: name }).then(job.reload));
  const d = job.data;
  if (!d) return <DetailMissing title={name} crumb={{ to: k.path, label: k.title }} load={job} what="Loading the job" />;
  const status = d[k.statusField];
  const inputs: [string, string | undefined][] =
    k.kind === 'processing'
      ? (d.ProcessingInputs ?? []).map((i: Json) => [i.InputName, i.S3Input?.S3Uri])
      : [['input', d.TransformInput?.DataSource?.S3DataSource?.S3Uri]];
  const outputs: [string, string | undefined][] =
    k.kind === 'processing'
      ? (d.ProcessingOutputConfig?.Outputs ?? []).map((o: Json) => [o.OutputName, o.S3Output?.S3Uri])
      : [['output', d.TransformOutput?.S3OutputPath]];
  return (
    <>
      <DetailHeader
        title={name}
        crumb={{ to: k.path, label: k.title }}
        status={status}
        actionError={stop.error}
        actionWhat="Stopping"
        failureReason={d.FailureReason}
        actions={
          status === 'InProgress' && (
            <button type="button" className="danger" disabled={stop.busy} onClick={() => void stop.run()}>
              Stop
            </button>
          )
        }
      />
      <div className="grid-2">
        <Section title="Summary">
          <KeyValues
            items={[
              ['Created', fmtTime(d.CreationTime)],
              ['Ended', fmtTime(d.ProcessingEndTime ?? d.TransformEndTime)],
              ['Image / model', <code key="m">{d.AppSpecification?.ImageUri ?? d.ModelName}</code>],
            ]}
          />
        </Section>
        <Section title="Inputs and outputs">
          <ul className="facts">
            {inputs.map(([n, u]) => (
              <li key={'i' + n}>
                <strong>in {n}</strong>: <S3Link uri={u} />
              </li>
            ))}
            {outputs.map(([n, u]) => (
              <li key={'o' + n}>
                <strong>out {n}</strong>: <S3Link uri={u} />
              </li>
            ))}
          </ul>
        </Section>
      </div>
      <Section title="Live logs">
        <LogViewer source={`job=${encodeURIComponent(name)}&kind=${k.kind}`} />
      </Section>
    </>
  );
}
