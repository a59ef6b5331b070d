/**
 * @module console/components/log-viewer — live log tail over server-sent events from
 * `/_slipway/logs/stream` (the last lines first, then new ones as they are written), with a
 * text filter, follow toggle and per-stream (per-host) selection.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { presignedUrl } from '../api/client.js';

export interface LogLine {
  stream: string;
  timestamp: number;
  message: string;
}

const MAX_LINES = 5000;

/** `source` is the query string for the tail route, e.g. `job=my-job` or `endpoint=ep`. */
export function LogViewer({ source, title = 'Logs', height = 360 }: { source: string; title?: string; height?: number }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'retrying'>('connecting');
  const [follow, setFollow] = useState(true);
  const [filter, setFilter] = useState('');
  const [stream, setStream] = useState('');
  const boxRef = useRef<HTMLPreElement>(null);

  useEffect(() => {
    setLines([]);
    setState('connecting');
    const es = new EventSource(presignedUrl(`/_slipway/logs/stream?${source}&tail=500`, 'slipway'));
    let pending: LogLine[] = [];
    let frame = 0;
    // Batch lines per animation frame: a chatty container must not re-render per line.
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setLines((prev) => {
        const next = prev.concat(batch);
        return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
      });
    };
    es.addEventListener('open', () => setState('live'));
    es.addEventListener('log', (ev) => {
      try {
        pending.push(JSON.parse((ev as MessageEvent<string>).data) as LogLine);
        if (!frame) frame = requestAnimationFrame(flush);
      } catch {
        // A malformed event is skipped; the next one still shows.
      }
    });
    es.addEventListener('error', () => setState('retrying'));
    return () => {
      es.close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [source]);

  const streams = useMemo(() => [...new Set(lines.map((l) => l.stream))].sort(), [lines]);
  const shown = useMemo(() => {
    const f = filter.toLowerCase();
    return lines.filter((l) => (!stream || l.stream === stream) && (!f || l.message.toLowerCase().includes(f)));
  }, [lines, filter, stream]);

  useEffect(() => {
    if (follow && boxRef.current) boxRef.current.scrollTop = boxRef.current.scrollHeight;
  }, [shown, follow]);

  return (
    <div className="logs" aria-label={title}>
      <div className="toolbar">
        <span className={`live-dot ${state}`} aria-live="polite">
          {state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
        {streams.length > 1 && (
          <label>
            Stream{' '}
            <select value={stream} onChange={(e) => setStream(e.target.value)}>
              <option value="">All ({streams.length})</option>
              {streams.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          Filter <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="text in line" />
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
      </div>
      <pre ref={boxRef} className="log-box" style={{ height }} tabIndex={0} data-testid="log-box">
        {shown.length === 0 ? (
          <span className="muted">{lines.length ? 'No line matches the filter.' : 'No log lines yet. They appear here as the container writes them.'}</span>
        ) : (
          shown.map((l, i) => (
            <div key={i} className="log-line">
              <span className="log-ts">{new Date(l.timestamp).toLocaleTimeString()}</span>
              {streams.length > 1 && !stream && <span className="log-stream">{l.stream.split('/').pop()}</span>}
              <span>{l.message}</span>
            </div>
          ))
        )}
      </pre>
    </div>
  );
}
