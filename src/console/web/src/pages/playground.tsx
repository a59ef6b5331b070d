/**
 * @module console/pages/playground — send a request to an endpoint (typed, pasted or an
 * uploaded CSV/JSON file) and see the response, status, variant and latency. When input and
 * output are numeric series they are plotted together; a 0/1 output of the same length (or a
 * list of indices) is drawn as marked points, which is what an anomaly detector returns.
 */
import { useMemo, useState } from 'react';
import { invokeEndpoint, type InvokeResult } from '../api/client.js';
import { Chart, type Series } from '../components/chart.js';
import { ErrorBox, PageHeader, Section } from '../components/ui.js';
import { useAction } from '../hooks.js';
import { Link, seg } from '../router.js';

const CONTENT_TYPES = ['text/csv', 'application/json', 'text/plain', 'application/jsonlines', 'application/octet-stream'];

/** Numbers from a CSV (last numeric column of each row) or JSON (first numeric array found). */
export function parseNumbers(text: string, contentType: string): number[] | null {
  const t = text.trim();
  if (!t) return null;
  if (contentType.includes('json') || t.startsWith('[') || t.startsWith('{')) {
    try {
      return numericArray(JSON.parse(t));
    } catch {
      if (contentType.includes('json')) return null;
    }
  }
  const rows = t.split(/\r?\n/).filter((l) => l.trim() !== '');
  const out: number[] = [];
  for (const [i, row] of rows.entries()) {
    const cells = row.split(',').map((c) => c.trim());
    const nums = cells.map(Number).filter((n, j) => cells[j] !== '' && Number.isFinite(n));
    if (nums.length === 0) {
      if (i === 0) continue; // a header row
      return null;
    }
    // One row of many values is a single series, not one point.
    if (rows.length === 1 && nums.length > 1) return nums;
    out.push(nums[nums.length - 1]!);
  }
  return out.length ? out : null;
}

function numericArray(v: unknown): number[] | null {
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => typeof x === 'number' || typeof x === 'boolean')) return v.map(Number);
    if (v.length && v.every((x) => Array.isArray(x) && x.length > 0 && typeof x[x.length - 1] === 'number')) return v.map((x) => x[x.length - 1] as number);
    if (v.length && v.every((x) => x && typeof x === 'object')) {
      const key = Object.keys(v[0] as object).find((k) => v.every((x) => typeof (x as Record<string, unknown>)[k] === 'number' || typeof (x as Record<string, unknown>)[k] === 'boolean'));
      if (key) return v.map((x) => Number((x as Record<string, unknown>)[key]));
    }
    return null;
  }
  if (v && typeof v === 'object') {
    for (const val of Object.values(v)) {
      const r = numericArray(val);
      if (r) return r;
    }
  }
  return null;
}

export function plotSeries(input: number[] | null, output: number[] | null): { x: number[]; series: Series[] } | null {
  if (!input || !output || input.length === 0) return null;
  const x = input.map((_, i) => i);
  const base: Series = { label: 'input', values: input };
  const isFlags = output.length === input.length && output.every((o) => o === 0 || o === 1);
  if (isFlags) {
    return { x, series: [base, { label: 'marked by model', values: input.map((v, i) => (output[i] === 1 ? v : null)), points: true }] };
  }
  if (output.length === input.length) return { x, series: [base, { label: 'output', values: output }] };
  const isIndices = output.every((o) => Number.isInteger(o) && o >= 0 && o < input.length);
  if (isIndices) {
    const marked = new Set(output);
    return { x, series: [base, { label: 'marked by model', values: input.map((v, i) => (marked.has(i) ? v : null)), points: true }] };
  }
  return null;
}

export function PlaygroundPage({ name }: { name: string }) {
  const [contentType, setContentType] = useState('text/csv');
  const [accept, setAccept] = useState('');
  const [body, setBody] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<InvokeResult | null>(null);
  const [sentText, setSentText] = useState('');

  const send = useAction(async () => {
    const payload: BodyInit = file && file.size > 1_000_000 ? file : body;
    const text = file && file.size > 1_000_000 ? '' : body;
    setResult(null);
    const r = await invokeEndpoint(name, payload, contentType, accept || undefined);
    setSentText(text);
    setResult(r);
  });

  const onFile = async (f: File | undefined) => {
    if (!f) return;
    setFile(f);
    if (f.name.endsWith('.json')) setContentType('application/json');
    else if (f.name.endsWith('.csv')) setContentType('text/csv');
    // Small files are shown (and editable) in the body box; large ones are sent as they are.
    if (f.size <= 1_000_000) setBody(await f.text());
  };

  const plot = useMemo(() => {
    if (!result?.ok) return null;
    return plotSeries(parseNumbers(sentText, contentType), parseNumbers(result.body, result.contentType));
  }, [result, sentText, contentType]);

  return (
    <>
      <PageHeader
        title={`Playground: ${name}`}
        crumbs={[
          { to: '/endpoints', label: 'Endpoints' },
          { to: `/endpoints/${seg(name)}`, label: name },
        ]}
      />
      <div className="grid-2">
        <Section title="Request">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void send.run();
            }}
          >
            <div className="row">
              <label className="field">
                Content type
                <input list="content-types" value={contentType} onChange={(e) => setContentType(e.target.value)} required />
                <datalist id="content-types">
                  {CONTENT_TYPES.map((c) => (
                    <option key={c} value={c} />
                  ))}
                </datalist>
              </label>
              <label className="field">
                Accept (optional)
                <input value={accept} onChange={(e) => setAccept(e.target.value)} placeholder="application/json" />
              </label>
            </div>
            <label className="field">
              Upload a CSV or JSON file
              <input type="file" accept=".csv,.json,.txt,text/csv,application/json" onChange={(e) => void onFile(e.target.files?.[0])} />
            </label>
            {file && file.size > 1_000_000 && <p className="hint">{file.name} is sent as it is ({file.size} bytes).</p>}
            <label className="field">
              Body
              <textarea
                className="mono"
                rows={12}
                spellCheck={false}
                value={body}
                onChange={(e) => {
                  setBody(e.target.value);
                  setFile(null);
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                    e.preventDefault();
                    void send.run();
                  }
                }}
                placeholder={'1.0,2.0,3.0\nor {"instances": [...]}'}
              />
            </label>
            <div className="actions">
              <button type="submit" className="primary" disabled={send.busy}>
                {send.busy ? 'Sending…' : 'Send'}
              </button>
              <span className="hint">Ctrl+Enter in the body also sends.</span>
            </div>
            <ErrorBox error={send.error} what="Sending the request" />
          </form>
        </Section>
        <Section title="Response">
          {!result ? (
            <p className="muted">
              Send a request to see the answer. The endpoint must be InService (see <Link to={`/endpoints/${seg(name)}`}>its page</Link>).
            </p>
          ) : (
            <div data-testid="response">
              <p className="response-meta">
                <span className={`badge ${result.ok ? 'badge-ok' : 'badge-bad'}`} data-testid="response-status">
                  {result.status}
                </span>{' '}
                {result.variant && (
                  <span>
                    variant <strong data-testid="response-variant">{result.variant}</strong>
                  </span>
                )}{' '}
                <span data-testid="response-latency">{result.latencyMs.toFixed(0)} ms</span> <span className="muted">{result.contentType}</span>
              </p>
              {!result.ok && (
                <div className="error" role="alert">
                  <strong>{result.errorCode ?? 'Error'}</strong>
                  <p data-testid="response-error">{result.errorMessage}</p>
                </div>
              )}
              <pre className="response-body" data-testid="response-body" tabIndex={0}>
                {result.body || '(empty body)'}
              </pre>
            </div>
          )}
        </Section>
      </div>
      {plot && (
        <Section title="Plot">
          <Chart title="Input and model output" x={plot.x} series={plot.series} time={false} height={280} />
        </Section>
      )}
    </>
  );
}
