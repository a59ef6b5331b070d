/**
 * @module console/pages/logs — search across log groups and streams with CloudWatch filter
 * patterns (FilterLogEvents), or follow a group/stream prefix live over the SSE tail.
 */
import { useState } from 'react';
import { logs, type Json } from '../api/client.js';
import { LogViewer } from '../components/log-viewer.js';
import { EmptyState, ErrorBox, fmtTime, Loading, PageHeader, Section } from '../components/ui.js';
import { useAction, usePoll } from '../hooks.js';
import { setQuery, useLocation } from '../router.js';

const RANGES: [string, number][] = [
  ['Last 15 minutes', 15 * 60_000],
  ['Last hour', 3600_000],
  ['Last day', 86400_000],
  ['Last week', 7 * 86400_000],
  ['All time', 0],
];

export function LogsPage() {
  const { query } = useLocation();
  const group = query.get('group') ?? '';
  const prefix = query.get('prefix') ?? '';
  const pattern = query.get('pattern') ?? '';
  const range = Number(query.get('range') ?? 0);
  const follow = query.get('follow') === '1';
  const groups = usePoll(async () => {
    const out: Json[] = [];
    let token: string | undefined;
    do {
      const r = await logs('DescribeLogGroups', token ? { nextToken: token } : {});
      out.push(...(r.logGroups ?? []));
      token = r.nextToken;
    } while (token && out.length < 2000);
    return out;
  }, [], 10_000);
  const streams = usePoll(
    async () =>
      group
        ? (await logs('DescribeLogStreams', { logGroupName: group, orderBy: 'LastEventTime', descending: true, limit: 50 })).logStreams as Json[]
        : [],
    [group],
  );

  const [events, setEvents] = useState<Json[] | null>(null);
  const [more, setMore] = useState<string | undefined>();
  const search = useAction(async (token?: string) => {
    const r = await logs('FilterLogEvents', {
      logGroupName: group,
      ...(prefix ? { logStreamNamePrefix: prefix } : {}),
      ...(pattern ? { filterPattern: pattern } : {}),
      ...(range ? { startTime: Date.now() - range } : {}),
      limit: 500,
      ...(token ? { nextToken: token } : {}),
    });
    setEvents((prev) => (token && prev ? [...prev, ...(r.events ?? [])] : (r.events ?? [])));
    setMore(r.nextToken);
  });

  return (
    <>
      <PageHeader title="Logs" />
      <ErrorBox error={groups.error} what="Listing log groups" onRetry={groups.reload} />
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ follow: null });
          void search.run();
        }}
      >
        <label>
          Log group{' '}
          <select aria-label="Log group" value={group} onChange={(e) => setQuery({ group: e.target.value, prefix: null })} required>
            <option value="">Choose a group</option>
            {(groups.data ?? []).map((g) => (
              <option key={g.logGroupName}>{g.logGroupName}</option>
            ))}
          </select>
        </label>
        <label>
          Stream prefix{' '}
          <input list="streams" value={prefix} onChange={(e) => setQuery({ prefix: e.target.value })} placeholder="job-name/" />
          <datalist id="streams">
            {(streams.data ?? []).map((s) => (
              <option key={s.logStreamName} value={s.logStreamName} />
            ))}
          </datalist>
        </label>
        <label>
          Filter pattern{' '}
          <input aria-label="Filter pattern" value={pattern} onChange={(e) => setQuery({ pattern: e.target.value })} placeholder='ERROR, "exact phrase", ?a ?b, { $.level = "ERROR" } or [ip, ..., status = 5*]' />
        </label>
        <label>
          Time{' '}
          <select value={range} onChange={(e) => setQuery({ range: e.target.value })}>
            {RANGES.map(([l, ms]) => (
              <option key={l} value={ms}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={!group || search.busy}>
          Search
        </button>
        <button type="button" disabled={!group} onClick={() => setQuery({ follow: follow ? null : '1' })} aria-pressed={follow}>
          {follow ? 'Stop following' : 'Follow live'}
        </button>
      </form>
      {groups.data && groups.data.length === 0 && (
        <EmptyState title="No log groups yet">
          <p>Training jobs, processing jobs and endpoints write their container output here as soon as they run.</p>
        </EmptyState>
      )}
      {follow && group ? (
        <Section title={`Following ${group}${prefix ? ` / ${prefix}*` : ''}`}>
          <LogViewer source={`group=${encodeURIComponent(group)}${prefix ? `&prefix=${encodeURIComponent(prefix)}` : ''}`} height={480} />
        </Section>
      ) : (
        <Section title="Results">
          <ErrorBox error={search.error} what="Searching" />
          {search.busy && !events ? (
            <Loading label="Searching…" />
          ) : events === null ? (
            <p className="muted">Choose a group, optionally a stream prefix and a filter pattern, then Search — or Follow live.</p>
          ) : events.length === 0 ? (
            <p className="muted">No event matches. Widen the time range or loosen the pattern.</p>
          ) : (
            <>
              <pre className="log-box" style={{ height: 480 }} tabIndex={0} data-testid="search-results">
                {events.map((e, i) => (
                  <div key={i} className="log-line">
                    <span className="log-ts">{fmtTime(e.timestamp)}</span>
                    <span className="log-stream">{e.logStreamName}</span>
                    <span>{e.message}</span>
                  </div>
                ))}
              </pre>
              {more && (
                <button type="button" onClick={() => void search.run(more)} disabled={search.busy}>
                  Load more
                </button>
              )}
            </>
          )}
        </Section>
      )}
    </>
  );
}
