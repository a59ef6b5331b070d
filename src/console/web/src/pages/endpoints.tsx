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
import { EmptyState, ErrorBox, fmtTime, KeyValues, Loading, PageHeader, Section, StatusBadge, toMs } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { Link, navigate, seg, setQuery, useLocation } from '../router.js';

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
      <div className="filters" role="search">
        <label>
          Search <input type="search" value={q} onChange={(e) => setQuery({ q: e.target.value })} placeholder="name contains" />
        </label>
      </div>
      <ErrorBox error={eps.error} what="Listing endpoints" onRetry={eps.reload} />
      {!eps.data ? (
        eps.error ? null : <Loading />
      ) : eps.data.length === 0 ? (
        <EmptyState title="No endpoints yet">
          <p>
            Deploy a completed training job (“Deploy this model” on its page), or create a model and an <Link to="/endpoint-configs/new">endpoint config</Link> and call
            CreateEndpoint.
          </p>
        </EmptyState>
      ) : (
        <DataTable label="Endpoints" rows={rows} columns={columns} rowKey={(e) => e.EndpointName} initialSort={{ id: 'modified', desc: true }} />
      )}
    </>
  );
}

export function EndpointDetailPage({ name }: { name: string }) {
  const ep = usePoll((s) => sm('DescribeEndpoint', { EndpointName: name }, s), [name], 2000);
  const del = useAction(async () => {
    if (!window.confirm(`Delete endpoint ${name}? Its containers are stopped.`)) return;
    await sm('DeleteEndpoint', { EndpointName: name });
    navigate('/endpoints');
  });
  const d = ep.data;
  if (!d) {
    return (
      <>
        <PageHeader title={name} crumbs={[{ to: '/endpoints', label: 'Endpoints' }]} />
        {ep.error ? (
          ep.error instanceof ApiError && ep.error.status === 400 && /not found|Could not find/i.test(ep.error.message) ? (
            <EmptyState title="This endpoint does not exist">
              <p>
                It may have been deleted. <Link to="/endpoints">Back to endpoints</Link>.
              </p>
            </EmptyState>
          ) : (
            <ErrorBox error={ep.error} what="Loading the endpoint" onRetry={ep.reload} />
          )
        ) : (
          <Loading />
        )}
      </>
    );
  }
  const variants: Json[] = d.ProductionVariants ?? [];
  return (
    <>
      <PageHeader
        title={name}
        crumbs={[{ to: '/endpoints', label: 'Endpoints' }]}
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
      >
        <StatusBadge status={d.EndpointStatus} />
      </PageHeader>
      <ErrorBox error={del.error} what="Deleting" />
      {d.FailureReason && (
        <div className="error" role="alert">
          <strong>Failure reason</strong>
          <p>{d.FailureReason}</p>
        </div>
      )}
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
        <table className="simple" aria-label="Variants">
          <thead>
            <tr>
              <th>Variant</th>
              <th>Weight (current / desired)</th>
              <th>Instances (current / desired)</th>
              <th>Images</th>
            </tr>
          </thead>
          <tbody>
            {variants.map((v) => (
              <tr key={v.VariantName}>
                <td>{v.VariantName}</td>
                <td>
                  {v.CurrentWeight ?? '—'} / {v.DesiredWeight ?? '—'}
                </td>
                <td>
                  {v.CurrentInstanceCount ?? '—'} / {v.DesiredInstanceCount ?? '—'}
                </td>
                <td className="small">{(v.DeployedImages ?? []).map((i: Json) => i.SpecifiedImage).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {variants.length > 0 && <WeightSliders name={name} variants={variants} disabled={d.EndpointStatus !== 'InService'} onDone={ep.reload} />}
      </Section>
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
    <form
      className="sliders"
      onSubmit={(e) => {
        e.preventDefault();
        void apply.run();
      }}
    >
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
    </form>
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
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void update.run();
        }}
      >
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
      </form>
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
