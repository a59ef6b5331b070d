/**
 * @module console/pages/training-jobs — list (filters, sort, search), detail (timeline,
 * hyperparameters, channels, artifacts, metric charts, live logs, Stop, Deploy, Clone) and the
 * create/clone form.
 */
import { useMemo, useState } from 'react';
import { ApiError, listAll, logs, objectUrl, parseS3Uri, sm, type Json } from '../api/client.js';
import { Chart } from '../components/chart.js';
import { DataTable, type Column } from '../components/data-table.js';
import { LogViewer } from '../components/log-viewer.js';
import { ActionForm, DialogForm } from '../components/action-form.js';
import { DetailHeader, DetailMissing } from '../components/detail.js';
import { ListState, SearchFilter } from '../components/list-page.js';
import { ErrorBox, fmtDuration, fmtTime, KeyValues, Loading, PageHeader, Section, StatusBadge, toMs } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { Link, navigate, seg, setQuery, useLocation } from '../router.js';

const STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];

export function TrainingJobsPage() {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const status = query.get('status') ?? '';
  const jobs = usePoll(() => listAll('ListTrainingJobs', 'TrainingJobSummaries', { SortBy: 'CreationTime', SortOrder: 'Descending' }, 10_000), [], 4000);

  const filtered = useMemo(() => {
    const needle = q.toLowerCase();
    return (jobs.data ?? []).filter(
      (j) => (!status || j.TrainingJobStatus === status) && (!needle || String(j.TrainingJobName).toLowerCase().includes(needle)),
    );
  }, [jobs.data, q, status]);

  const columns: Column<Json>[] = [
    {
      id: 'name',
      header: 'Name',
      width: '3fr',
      render: (j) => <Link to={`/training-jobs/${seg(j.TrainingJobName)}`}>{j.TrainingJobName}</Link>,
      sort: (j) => j.TrainingJobName,
    },
    { id: 'status', header: 'Status', width: '140px', render: (j) => <StatusBadge status={j.TrainingJobStatus} />, sort: (j) => j.TrainingJobStatus },
    { id: 'created', header: 'Created', width: '2fr', render: (j) => fmtTime(j.CreationTime), sort: (j) => toMs(j.CreationTime) },
    {
      id: 'duration',
      header: 'Duration',
      width: '120px',
      render: (j) => (j.TrainingEndTime ? fmtDuration(toMs(j.TrainingEndTime) - toMs(j.CreationTime)) : '—'),
      sort: (j) => (j.TrainingEndTime ? toMs(j.TrainingEndTime) - toMs(j.CreationTime) : -1),
    },
  ];

  return (
    <>
      <PageHeader
        title="Training jobs"
        actions={
          <Link className="button primary" to="/training-jobs/new">
            Create training job
          </Link>
        }
      />
      <SearchFilter q={q} label="Search training jobs">
        <label>
          Status{' '}
          <select aria-label="Status filter" value={status} onChange={(e) => setQuery({ status: e.target.value })}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </SearchFilter>
      <ListState
        list={jobs}
        what="Listing training jobs"
        emptyTitle="No training jobs yet"
        empty={
          <p>
            Create one here, or from any SageMaker client pointed at this server, e.g.{' '}
            <code>aws sagemaker create-training-job --endpoint-url {window.location.origin} …</code>
          </p>
        }
      >
        <DataTable
          label="Training jobs"
          rows={filtered}
          columns={columns}
          rowKey={(j) => j.TrainingJobName}
          initialSort={{ id: 'created', desc: true }}
          empty="No job matches the filters. Clear the search or pick another status."
        />
      </ListState>
    </>
  );
}

/** Fields of DescribeTrainingJob that CreateTrainingJob accepts (for Clone). */
const CREATE_FIELDS = [
  'AlgorithmSpecification',
  'RoleArn',
  'HyperParameters',
  'InputDataConfig',
  'OutputDataConfig',
  'ResourceConfig',
  'StoppingCondition',
  'VpcConfig',
  'EnableNetworkIsolation',
  'EnableInterContainerTrafficEncryption',
  'EnableManagedSpotTraining',
  'CheckpointConfig',
  'Environment',
  'RetryStrategy',
];

/** Applies MetricDefinitions to log lines, as the server does, to draw series over time. */
async function metricSeries(job: Json): Promise<{ name: string; x: number[]; y: number[] }[]> {
  const defs: { Name: string; Regex: string }[] = job.AlgorithmSpecification?.MetricDefinitions ?? [];
  if (defs.length === 0) return [];
  const res = defs.flatMap((d) => {
    try {
      return [{ name: d.Name, re: new RegExp(d.Regex), x: [] as number[], y: [] as number[] }];
    } catch {
      return [];
    }
  });
  let token: string | undefined;
  let pages = 0;
  do {
    let out: Json;
    try {
      out = await logs('FilterLogEvents', {
        logGroupName: '/aws/sagemaker/TrainingJobs',
        logStreamNamePrefix: `${job.TrainingJobName}/`,
        ...(token ? { nextToken: token } : {}),
      });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ResourceNotFoundException') return [];
      throw e;
    }
    for (const ev of out.events ?? []) {
      for (const r of res) {
        const m = r.re.exec(ev.message);
        const v = m ? Number.parseFloat((m[1] ?? m[0]).trim()) : NaN;
        if (Number.isFinite(v)) {
          r.x.push(ev.timestamp / 1000);
          r.y.push(v);
        }
      }
    }
    token = out.nextToken;
  } while (token && ++pages < 50);
  return res.map(({ name, x, y }) => ({ name, x, y }));
}

export function TrainingJobDetailPage({ name }: { name: string }) {
  const job = usePoll((signal) => sm('DescribeTrainingJob', { TrainingJobName: name }, signal), [name], 2000);
  const d = job.data;
  const running = d && (d.TrainingJobStatus === 'InProgress' || d.TrainingJobStatus === 'Stopping');
  const metrics = usePoll(() => (d ? metricSeries(d) : Promise.resolve([])), [name, !!d], running ? 5000 : undefined);
  const stop = useAction(() => sm('StopTrainingJob', { TrainingJobName: name }).then(job.reload));
  const [deployOpen, setDeployOpen] = useState(false);

  if (job.error && !d) {
    return (
      <DetailMissing
        title={name}
        crumb={{ to: '/training-jobs', label: 'Training jobs' }}
        load={job}
        what="Loading the job"
        notFound={{
          test: (e) => e instanceof ApiError && e.code === 'ResourceNotFound',
          title: 'This training job does not exist',
          body: (
            <p>
              It may have been created on another server, or the name is mistyped. <Link to="/training-jobs">Back to the list</Link>.
            </p>
          ),
        }}
      />
    );
  }
  if (!d) return <Loading />;

  const transitions: Json[] = d.SecondaryStatusTransitions ?? [];
  const artifacts = d.ModelArtifacts?.S3ModelArtifacts as string | undefined;
  const finalMetrics: Json[] = d.FinalMetricDataList ?? [];

  return (
    <>
      <DetailHeader
        title={name}
        crumb={{ to: '/training-jobs', label: 'Training jobs' }}
        actionError={stop.error}
        actionWhat="Stopping"
        failureReason={d.FailureReason}
        actions={
          <>
            {running && (
              <button type="button" className="danger" disabled={stop.busy || d.TrainingJobStatus === 'Stopping'} onClick={() => void stop.run()}>
                Stop
              </button>
            )}
            <button type="button" onClick={() => navigate(`/training-jobs/new?from=${seg(name)}`)}>
              Clone
            </button>
            <button type="button" className="primary" disabled={d.TrainingJobStatus !== 'Completed' || !artifacts} onClick={() => setDeployOpen(true)}>
              Deploy this model
            </button>
          </>
        }
      >
        <p>
          <StatusBadge status={d.TrainingJobStatus} /> <span className="muted">{d.SecondaryStatus}</span>
        </p>
      </DetailHeader>
      <div className="grid-2">
        <Section title="Summary">
          <KeyValues
            items={[
              ['Image', <code key="i">{d.AlgorithmSpecification?.TrainingImage}</code>],
              ['Instances', `${d.ResourceConfig?.InstanceCount ?? 1} × ${d.ResourceConfig?.InstanceType ?? '—'}`],
              ['Created', fmtTime(d.CreationTime)],
              ['Started', fmtTime(d.TrainingStartTime)],
              ['Ended', fmtTime(d.TrainingEndTime)],
              ['Billable seconds', d.BillableTimeInSeconds ?? '—'],
              ['Role', d.RoleArn],
            ]}
          />
        </Section>
        <Section title="Status timeline">
          {transitions.length === 0 ? (
            <p className="muted">No transitions yet.</p>
          ) : (
            <ol className="timeline" aria-label="Status timeline">
              {transitions.map((t, i) => (
                <li key={i}>
                  <strong>{t.Status}</strong> <span className="muted">{fmtTime(t.StartTime)}</span>
                  {t.EndTime && <span className="muted"> ({fmtDuration(toMs(t.EndTime) - toMs(t.StartTime))})</span>}
                  {t.StatusMessage && <div className="small">{t.StatusMessage}</div>}
                </li>
              ))}
            </ol>
          )}
        </Section>
      </div>
      <Section title="Metrics">
        {finalMetrics.length > 0 && (
          <KeyValues items={finalMetrics.map((m) => [m.MetricName, String(m.Value)] as [string, string])} />
        )}
        <ErrorBox error={metrics.error} what="Reading metrics" />
        {(metrics.data ?? []).filter((s) => s.x.length > 0).length === 0 ? (
          <p className="muted">
            {(d.AlgorithmSpecification?.MetricDefinitions ?? []).length
              ? 'No metric values in the logs yet.'
              : 'This job has no MetricDefinitions; add some (Name + Regex) to chart values the container prints.'}
          </p>
        ) : (
          <div className="grid-2">
            {metrics.data!
              .filter((s) => s.x.length > 0)
              .map((s) => (
                <Chart key={s.name} title={s.name} x={s.x} series={[{ label: s.name, values: s.y }]} />
              ))}
          </div>
        )}
      </Section>
      <Section title="Live logs">
        <LogViewer source={`job=${encodeURIComponent(name)}`} title={`Logs of ${name}`} />
      </Section>
      <div className="grid-2">
        <Section title="Hyperparameters">
          {Object.keys(d.HyperParameters ?? {}).length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <KeyValues items={Object.entries(d.HyperParameters as Record<string, string>).map(([k, v]) => [k, <code key={k}>{v}</code>])} />
          )}
        </Section>
        <Section title="Channels and artifacts">
          <ul className="facts">
            {(d.InputDataConfig ?? []).map((c: Json) => (
              <li key={c.ChannelName}>
                <strong>{c.ChannelName}</strong>: <S3Link uri={c.DataSource?.S3DataSource?.S3Uri} /> {c.ContentType && <span className="muted">({c.ContentType})</span>}
              </li>
            ))}
            <li>
              <strong>Output path</strong>: <S3Link uri={d.OutputDataConfig?.S3OutputPath} />
            </li>
            <li>
              <strong>Model artifact</strong>: {artifacts ? <S3Link uri={artifacts} download /> : <span className="muted">written when the job completes</span>}
            </li>
          </ul>
        </Section>
      </div>
      <DeployDialog open={deployOpen} onClose={() => setDeployOpen(false)} job={d} />
    </>
  );
}

/** Links an S3 URI to the storage browser, or downloads it directly. */
export function S3Link({ uri, download }: { uri: string | undefined; download?: boolean }) {
  if (!uri) return <span className="muted">—</span>;
  const p = parseS3Uri(uri);
  if (!p) return <code>{uri}</code>;
  if (download && p.key && !p.key.endsWith('/')) {
    return (
      <>
        <code>{uri}</code>{' '}
        <a className="button small" href={objectUrl(p.bucket, p.key)} download={p.key.split('/').pop()}>
          Download
        </a>
      </>
    );
  }
  const prefix = p.key.endsWith('/') || !p.key ? p.key : p.key + '/';
  return <Link to={`/storage/${seg(p.bucket)}?prefix=${encodeURIComponent(prefix)}`}>{uri}</Link>;
}

function DeployDialog({ open, onClose, job }: { open: boolean; onClose: () => void; job: Json }) {
  const base = String(job.TrainingJobName).slice(0, 50);
  const [endpoint, setEndpoint] = useState(`${base}-ep`);
  const [instanceType, setInstanceType] = useState('ml.m5.large');
  const deploy = useAction(async () => {
    const model = `${endpoint}-model`;
    const config = `${endpoint}-config`;
    await sm('CreateModel', {
      ModelName: model,
      PrimaryContainer: { Image: job.AlgorithmSpecification.TrainingImage, ModelDataUrl: job.ModelArtifacts.S3ModelArtifacts },
      ExecutionRoleArn: job.RoleArn,
    });
    await sm('CreateEndpointConfig', {
      EndpointConfigName: config,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InitialInstanceCount: 1, InstanceType: instanceType, InitialVariantWeight: 1 }],
    });
    await sm('CreateEndpoint', { EndpointName: endpoint, EndpointConfigName: config });
    navigate(`/endpoints/${seg(endpoint)}`);
  });
  return (
    <DialogForm open={open} title="Deploy this model" onClose={onClose} action={deploy} what="Deploying" submit={deploy.busy ? 'Deploying…' : 'Deploy'} method="dialog">
        <p className="small">
          Creates the model <code>{endpoint}-model</code>, the endpoint config <code>{endpoint}-config</code> and the endpoint.
        </p>
        <label className="field">
          Endpoint name
          <input required value={endpoint} onChange={(e) => setEndpoint(e.target.value)} pattern="[a-zA-Z0-9](-*[a-zA-Z0-9])*" maxLength={63} />
        </label>
        <label className="field">
          Instance type
          <input required value={instanceType} onChange={(e) => setInstanceType(e.target.value)} />
        </label>
    </DialogForm>
  );
}

const TEMPLATE = {
  AlgorithmSpecification: { TrainingImage: 'slipway-base/python:bookworm', TrainingInputMode: 'File', MetricDefinitions: [] },
  RoleArn: 'arn:aws:iam::000000000000:role/slipway',
  HyperParameters: {},
  InputDataConfig: [],
  OutputDataConfig: { S3OutputPath: 's3://my-bucket/output/' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 3600 },
};

export function TrainingJobCreatePage() {
  const { query } = useLocation();
  const from = query.get('from');
  const source = usePoll(() => (from ? sm('DescribeTrainingJob', { TrainingJobName: from }) : Promise.resolve(null)), [from]);
  if (from && !source.data && !source.error) return <Loading />;
  let initial: Json = TEMPLATE;
  if (source.data) {
    initial = {};
    for (const f of CREATE_FIELDS) if (source.data[f] !== undefined) initial[f] = source.data[f];
  }
  const suggested = from ? `${from.replace(/-clone(-\d+)?$/, '').slice(0, 50)}-clone-${Date.now() % 100000}` : `job-${Date.now() % 1000000}`;
  return <TrainingJobForm key={from ?? ''} initial={initial} suggestedName={suggested} from={from} loadError={source.error} />;
}

function TrainingJobForm({ initial, suggestedName, from, loadError }: { initial: Json; suggestedName: string; from: string | null; loadError: unknown }) {
  const [name, setName] = useState(suggestedName);
  const [body, setBody] = useState(JSON.stringify(initial, null, 2));
  const create = useAction(async () => {
    let parsed: Json;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw new ApiError('InvalidJson', `The request is not valid JSON: ${(e as Error).message}`, 400);
    }
    await sm('CreateTrainingJob', { ...parsed, TrainingJobName: name });
    navigate(`/training-jobs/${seg(name)}`);
  });
  return (
    <>
      <PageHeader title={from ? `Clone ${from}` : 'Create training job'} crumbs={[{ to: '/training-jobs', label: 'Training jobs' }]} />
      <ErrorBox error={loadError} what="Loading the job to clone" />
      <ActionForm className="form" action={create}>
        <label className="field">
          Training job name
          <input required value={name} onChange={(e) => setName(e.target.value)} maxLength={63} pattern="[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" />
        </label>
        <label className="field">
          CreateTrainingJob request (JSON, as the SDKs send it)
          <textarea rows={24} spellCheck={false} value={body} onChange={(e) => setBody(e.target.value)} className="mono" />
        </label>
        <ErrorBox error={create.error} what="Creating the job" />
        <div className="actions">
          <button type="submit" className="primary" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create training job'}
          </button>
        </div>
      </ActionForm>
    </>
  );
}
