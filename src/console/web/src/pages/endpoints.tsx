/**
 * @module console/pages/endpoints — endpoints list and detail: status, variants, weight
 * sliders (UpdateEndpointWeightsAndCapacities), update to another config, delete, live charts
 * and live logs.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, listAll, sm, type Json } from '../api/client.js';
import { countersFor, fetchSamples, MetricsUnavailable, toSample, type EndpointCounters, type EndpointSample } from '../api/metrics.js';
import { Chart } from '../components/chart.js';
import { DataTable, type Column } from '../components/data-table.js';
import { LogViewer } from '../components/log-viewer.js';
import { ActionForm } from '../components/action-form.js';
import { useConfirmedDelete } from '../components/delete-button.js';
import { DetailHeader, DetailMissing } from '../components/detail.js';
import { VariantTable } from '../components/variant-table.js';
import { ShadowComparison } from '../components/shadow-comparison.js';
import { ListState, SearchFilter } from '../components/list-page.js';
import { ErrorBox, fmtTime, KeyValues, PageHeader, Section, StatusBadge, toMs } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { Link, seg, useLocation } from '../router.js';

export function EndpointsPage() {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const eps = usePoll(() => listAll('ListEndpoints', 'Endpoints', { SortBy: 'CreationTime', SortOrder: 'Descending' }), [], 3000);
  const rows = useMemo(() => (eps.data ?? []).filter((e) => String(e.EndpointName).toLowerCase().includes(q.toLowerCase())), [eps.data, q]);
  const columns: Column<Json>[] = [
    { id: 'name', header: 'Name', width: '3fr', render: (e) => <Link to={`/endpoints/${seg(e.EndpointName)}`}>{e.EndpointName}</Link>, sort: (e) => e.EndpointName },
    { id: 'status', header: 'Status', width: '150px', render: (e) => <StatusBadge status={e.EndpointStatus} />, sort: (e) => e.EndpointStatus },
    { id: 'modified', header: 'Last modified', width: '2fr', render: (e) => fmtTime(e.LastModifiedTime), sort: (e) => toMs(e.LastModifiedTime) },
    {
      id: 'play',
      header: '',
      width: '120px',
      render: (e) => (
        <Link to={`/endpoints/${seg(e.EndpointName)}/playground`} aria-label={`Playground for ${e.EndpointName}`}>
          Playground
        </Link>
      ),
    },
  ];
  return (
    <>
      <PageHeader title="Endpoints" />
      <SearchFilter q={q} />
      <ListState
        list={eps}
        what="Listing endpoints"
        emptyTitle="No endpoints yet"
        empty={
          <p>
            Deploy a completed training job (“Deploy this model” on its page), or create a model and an <Link to="/endpoint-configs/new">endpoint config</Link> and call
            CreateEndpoint.
          </p>
        }
      >
        <DataTable label="Endpoints" rows={rows} columns={columns} rowKey={(e) => e.EndpointName} initialSort={{ id: 'modified', desc: true }} />
      </ListState>
    </>
  );
}

export function EndpointDetailPage({ name }: { name: string }) {
  const ep = usePoll((s) => sm('DescribeEndpoint', { EndpointName: name }, s), [name], 2000);
  const del = useConfirmedDelete(`Delete endpoint ${name}? Its containers are stopped.`, 'DeleteEndpoint', { EndpointName: name }, '/endpoints');
  const d = ep.data;
  if (!d) {
    return (
      <DetailMissing
        title={name}
        crumb={{ to: '/endpoints', label: 'Endpoints' }}
        load={ep}
        what="Loading the endpoint"
        notFound={{
          test: (e) => e instanceof ApiError && e.status === 400 && /not found|Could not find/i.test(e.message),
          title: 'This endpoint does not exist',
          body: (
            <p>
              It may have been deleted. <Link to="/endpoints">Back to endpoints</Link>.
            </p>
          ),
        }}
      />
    );
  }
  const variants: Json[] = d.ProductionVariants ?? [];
  const shadows: Json[] = d.ShadowProductionVariants ?? [];
  return (
    <>
      <DetailHeader
        title={name}
        crumb={{ to: '/endpoints', label: 'Endpoints' }}
        status={d.EndpointStatus}
        actionError={del.error}
        actionWhat="Deleting"
        failureReason={d.FailureReason}
        actions={
          <>
            <Link className="button primary" to={`/endpoints/${seg(name)}/playground`}>
              Playground
            </Link>
            <button type="button" className="danger" disabled={del.busy || d.EndpointStatus === 'Deleting'} onClick={() => void del.run()}>
              Delete
            </button>
          </>
        }
      />
      <div className="grid-2">
        <Section title="Summary">
          <KeyValues
            items={[
              ['Config', <Link key="c" to={`/endpoint-configs/${seg(d.EndpointConfigName)}`}>{d.EndpointConfigName}</Link>],
              ['Created', fmtTime(d.CreationTime)],
              ['Last modified', fmtTime(d.LastModifiedTime)],
              ['Invoke URL', <code key="u">{`${window.location.origin}/endpoints/${name}/invocations`}</code>],
            ]}
          />
        </Section>
        <UpdateConfig name={name} current={d.EndpointConfigName} disabled={d.EndpointStatus !== 'InService'} onDone={ep.reload} />
      </div>
      <Section title="Variants">
        <VariantTable
          label="Variants"
          variants={variants}
          columns={[
            ['Weight (current / desired)', (v) => `${v.CurrentWeight ?? '—'} / ${v.DesiredWeight ?? '—'}`],
            // A serverless variant has no instance count: its memory and concurrency instead.
            ['Instances (current / desired)', (v) => (v.CurrentServerlessConfig ? serverlessText(v.CurrentServerlessConfig) : `${v.CurrentInstanceCount ?? '—'} / ${v.DesiredInstanceCount ?? '—'}`)],
            ['Images', (v) => (v.DeployedImages ?? []).map((i: Json) => i.SpecifiedImage).join(', ') || '—', 'small'],
          ]}
        />
        {shadows.length > 0 && (
          <VariantTable
            label="Shadow variants"
            variants={shadows}
            columns={[
              ['Shadow weight (current / desired)', (v) => `${v.CurrentWeight ?? '—'} / ${v.DesiredWeight ?? '—'}`],
              ['Instances (current / desired)', (v) => `${v.CurrentInstanceCount ?? '—'} / ${v.DesiredInstanceCount ?? '—'}`],
              ['Images', (v) => (v.DeployedImages ?? []).map((i: Json) => i.SpecifiedImage).join(', ') || '—', 'small'],
            ]}
          />
        )}
        {variants.length > 0 && <WeightSliders name={name} variants={variants} disabled={d.EndpointStatus !== 'InService'} onDone={ep.reload} />}
      </Section>
      {variants.length === 1 && shadows.length === 1 && <ShadowComparison endpoint={name} production={variants[0].VariantName} shadow={shadows[0].VariantName} />}
      <EndpointCharts name={name} />
      <Section title="Live logs">
        <LogViewer source={`endpoint=${encodeURIComponent(name)}`} />
      </Section>
    </>
  );
}

function WeightSliders({ name, variants, disabled, onDone }: { name: string; variants: Json[]; disabled: boolean; onDone: () => void }) {
  const key = variants.map((v) => `${v.VariantName}:${v.CurrentWeight}`).join(',');
  const [weights, setWeights] = useState<Record<string, number>>({});
  useEffect(() => {
    setWeights(Object.fromEntries(variants.map((v) => [v.VariantName, Number(v.CurrentWeight ?? v.DesiredWeight ?? 1)])));
    // Reset only when the server-side weights change, not on every poll.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const apply = useAction(async () => {
    await sm('UpdateEndpointWeightsAndCapacities', {
      EndpointName: name,
      DesiredWeightsAndCapacities: Object.entries(weights).map(([VariantName, DesiredWeight]) => ({ VariantName, DesiredWeight })),
    });
    onDone();
  });
  return (
    <ActionForm className="sliders" action={apply}>
      <h3>Traffic split</h3>
      {variants.map((v) => {
        const w = weights[v.VariantName] ?? 0;
        const id = `w-${v.VariantName}`;
        return (
          <div key={v.VariantName} className="slider-row">
            <label htmlFor={id}>{v.VariantName}</label>
            <input
              id={id}
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={w}
              aria-valuetext={`${w} (${total ? Math.round((100 * w) / total) : 0}%)`}
              onChange={(e) => setWeights((ws) => ({ ...ws, [v.VariantName]: Number(e.target.value) }))}
            />
            <output htmlFor={id}>
              {w.toFixed(2)} · {total ? Math.round((100 * w) / total) : 0}%
            </output>
          </div>
        );
      })}
      {total === 0 && <p className="hint">At least one variant needs a weight above 0.</p>}
      <ErrorBox error={apply.error} what="Changing weights" />
      <button type="submit" className="primary" disabled={disabled || apply.busy || total === 0}>
        {apply.busy ? 'Applying…' : 'Apply weights'}
      </button>
      {disabled && <span className="hint"> Weights can change when the endpoint is InService.</span>}
    </ActionForm>
  );
}

function UpdateConfig({ name, current, disabled, onDone }: { name: string; current: string; disabled: boolean; onDone: () => void }) {
  const configs = usePoll(() => listAll('ListEndpointConfigs', 'EndpointConfigs'), []);
  const [choice, setChoice] = useState('');
  const update = useAction(async () => {
    await sm('UpdateEndpoint', { EndpointName: name, EndpointConfigName: choice });
    setChoice('');
    onDone();
  });
  const others = (configs.data ?? []).map((c) => String(c.EndpointConfigName)).filter((c) => c !== current);
  return (
    <Section title="Update to another config">
      <ActionForm action={update}>
        <label className="field">
          Endpoint config
          <select value={choice} onChange={(e) => setChoice(e.target.value)} required>
            <option value="">{others.length ? 'Choose a config' : 'No other config exists'}</option>
            {others.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <p className="hint">Blue/green: the new fleet must be healthy before traffic moves.</p>
        <ErrorBox error={update.error} what="Updating" />
        <button type="submit" disabled={disabled || !choice || update.busy}>
          Update endpoint
        </button>
      </ActionForm>
    </Section>
  );
}

const WINDOW = 90;

function EndpointCharts({ name }: { name: string }) {
  const [samples, setSamples] = useState<EndpointSample[]>([]);
  const [error, setError] = useState<string | null>(null);
  const prev = useRef<EndpointCounters | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    prev.current = null;
    setSamples([]);
    const tick = async () => {
      try {
        const cur = countersFor(await fetchSamples(), name);
        if (prev.current) {
          const s = toSample(prev.current, cur);
          if (!stopped) setSamples((xs) => [...xs.slice(-(WINDOW - 1)), s]);
        }
        prev.current = cur;
        if (!stopped) setError(null);
      } catch (e) {
        if (!stopped) setError(e instanceof MetricsUnavailable ? e.message : 'Could not read /_slipway/metrics.');
      }
      if (!stopped) timer = setTimeout(tick, 2000);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [name]);
  const x = samples.map((s) => s.at / 1000);
  return (
    <Section title="Live metrics">
      {error ? (
        <p className="hint">Metrics are not available: {error} Charts start when the server publishes them.</p>
      ) : samples.length === 0 ? (
        <p className="muted">Collecting… the first points appear after a few seconds.</p>
      ) : (
        <div className="grid-3">
          <Chart title="Invocations per second" x={x} series={[{ label: 'inv/s', values: samples.map((s) => s.perSecond) }]} height={180} />
          <Chart
            title="Model latency (ms)"
            x={x}
            series={[
              { label: 'p50', values: samples.map((s) => s.p50) },
              { label: 'p99', values: samples.map((s) => s.p99) },
            ]}
            height={180}
          />
          <Chart
            title="Errors per interval"
            x={x}
            series={[
              { label: '4xx', values: samples.map((s) => s.e4xx) },
              { label: '5xx', values: samples.map((s) => s.e5xx) },
            ]}
            height={180}
          />
        </div>
      )}
    </Section>
  );
}

/** A serverless variant's configuration in one line (DescribeEndpoint CurrentServerlessConfig). */
function serverlessText(c: Json): string {
  return `serverless: ${c.MemorySizeInMB} MB, up to ${c.MaxConcurrency} concurrent${c.ProvisionedConcurrency ? `, ${c.ProvisionedConcurrency} provisioned` : ''}`;
}
