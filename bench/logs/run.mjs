// bench/logs — log ingest rate and query latency at 1M stored lines.
//
//   npm run build && node bench/logs/run.mjs [lines]
//
// Ingest: a container prints LINES lines as fast as it can; we compare reading them back with
// `docker logs` (the engine's own limit) against Slipway's capture path (DockerRuntime.followLogs →
// LogStore.append in batches, as the controllers do). Query: GetLogEvents and FilterLogEvents over
// HTTP against a server whose store holds those lines. Results: bench/results/logs.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerRuntime } from '../../dist/runtime/docker/docker-runtime.js';
import { openDatabase } from '../../dist/storage/sqlite/database.js';
import { SqlLogStore } from '../../dist/storage/log-store.js';
import { startSlipway } from '../../dist/server/app.js';

const LINES = Number(process.argv[2] ?? 1_000_000);
const IMAGE = 'slipway-base/python:bookworm';
const home = mkdtempSync(join(tmpdir(), 'slipway-bench-logs-'));
const runtime = new DockerRuntime();
const name = `slipway-bench-logs-${process.pid}`;

const printer = `import sys
w = sys.stdout.write
for i in range(${LINES}):
    w('INFO step %d loss=0.%06d some more text to look like a real log line\\n' % (i, i))
`;

async function main() {
  const id = await runtime.createContainer({ name, image: IMAGE, entrypoint: ['python3', '-c', printer], labels: { 'slipway.bench': '1' } });
  const db = openDatabase(join(home, 'slipway.db'));
  const logs = new SqlLogStore(db);
  const group = '/aws/sagemaker/TrainingJobs';
  const stream = 'bench/algo-1-1700000000';
  const t0 = performance.now();
  await runtime.startContainer(id);
  let batch = [];
  let count = 0;
  for await (const line of runtime.followLogs(id)) {
    batch.push({ timestamp: line.timestamp, message: line.message });
    if (batch.length >= 1000) {
      logs.append(group, stream, batch);
      count += batch.length;
      batch = [];
    }
  }
  logs.append(group, stream, batch);
  count += batch.length;
  const slipwaySeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const out = spawnSync('sh', ['-c', `docker logs ${name} 2>&1 | wc -l`], { encoding: 'utf8' });
  const dockerLogsSeconds = (performance.now() - t1) / 1000;
  const dockerLines = Number(out.stdout.trim());
  await runtime.removeContainer(id, { force: true });
  db.close();

  // Query latency through the real server on the same store.
  const server = await startSlipway({ home, port: 0 });
  const call = async (op, body) => {
    const s = performance.now();
    const r = await fetch(server.url, { method: 'POST', headers: { 'X-Amz-Target': `Logs_20140328.${op}`, 'Content-Type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(JSON.stringify(j));
    return { ms: performance.now() - s, j };
  };
  const mid = await call('GetLogEvents', { logGroupName: group, logStreamName: stream, startFromHead: true, limit: 10000 });
  const cases = {
    'GetLogEvents head, limit 100': { logGroupName: group, logStreamName: stream, startFromHead: true, limit: 100 },
    'GetLogEvents newest (default), limit 100': { logGroupName: group, logStreamName: stream, limit: 100 },
    'GetLogEvents forward token page, limit 1000': { logGroupName: group, logStreamName: stream, limit: 1000, nextToken: mid.j.nextForwardToken },
    'FilterLogEvents rare term, limit 100': { logGroupName: group, filterPattern: `"step ${LINES - 5} "`, limit: 100 },
  };
  const queries = {};
  for (const [label, body] of Object.entries(cases)) {
    const op = label.split(' ')[0];
    const times = [];
    for (let i = 0; i < 20; i++) times.push((await call(op, body)).ms);
    times.sort((a, b) => a - b);
    queries[label] = { p50Ms: round(times[10]), p95Ms: round(times[18]) };
  }
  await server.close();

  const result = {
    benchmark: 'logs',
    date: new Date().toISOString(),
    lines: LINES,
    ingest: {
      slipway: { lines: count, seconds: round(slipwaySeconds), linesPerSecond: Math.round(count / slipwaySeconds) },
      dockerLogsLimit: { lines: dockerLines, seconds: round(dockerLogsSeconds), linesPerSecond: Math.round(dockerLines / dockerLogsSeconds) },
      note: 'slipway time includes the container producing the lines; docker logs reads them after the fact',
    },
    queries,
  };
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../results/logs.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

const round = (x) => Math.round(x * 100) / 100;

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    try {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    } catch {}
    rmSync(home, { recursive: true, force: true });
  });
