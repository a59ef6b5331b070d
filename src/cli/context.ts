/**
 * @module cli/context — what every command shares: global options, exit codes, `CliError`, and
 * the output conventions (results on stdout, progress and notes on stderr; `--json` keeps stdout
 * machine-readable; `--quiet` drops progress; progress degrades to plain lines off a TTY).
 */
import type { Command } from 'commander';
import ora, { type Ora } from 'ora';
import { createColors } from 'picocolors';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const DEFAULT_URL = 'http://127.0.0.1:7447';

/** An error the user can act on: printed as `slipway: message` with its exit code, no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  endpointUrl: string;
  json: boolean;
  quiet: boolean;
  color: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as { endpointUrl?: string; json?: boolean; quiet?: boolean; color?: boolean };
  return {
    endpointUrl: (o.endpointUrl ?? process.env.SLIPWAY_URL ?? DEFAULT_URL).replace(/\/+$/, ''),
    json: o.json === true,
    quiet: o.quiet === true,
    color: o.color !== false && !('NO_COLOR' in process.env),
  };
}

/** A long-running step: a spinner on a TTY, otherwise a line per distinct state. */
export interface Task {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  /** Ends the task without a final line (e.g. before printing other output). */
  stop(): void;
}

export type Colors = ReturnType<typeof createColors>;

export class Output {
  readonly c: Colors;
  readonly interactive: boolean;

  constructor(
    readonly opts: GlobalOptions,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.interactive = stderr.isTTY === true && process.env.CI === undefined;
    this.c = createColors(opts.color && (stderr.isTTY === true || 'FORCE_COLOR' in process.env));
  }

  /** A result line (stdout); suppressed under --json, where `json()` is the result. */
  print(text: string): void {
    if (!this.opts.json) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Raw bytes of a result (prediction bodies); written even under --json. */
  raw(data: string | Uint8Array): void {
    this.stdout.write(data);
  }

  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }

  /** A note or progress line (stderr); dropped by --quiet and --json. */
  info(text: string): void {
    if (this.opts.quiet || this.opts.json) return;
    this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.c.yellow('warning:')} ${text}\n`);
  }

  task(text: string): Task {
    if (this.opts.quiet || this.opts.json) return { update() {}, succeed() {}, fail: (t) => t && this.warn(t), stop() {} };
    if (this.interactive) return oraTask(ora({ text, stream: this.stderr, color: 'cyan', isEnabled: true }).start());
    return plainTask(text, (line) => this.stderr.write(`${line}\n`), this.c);
  }
}

function oraTask(spinner: Ora): Task {
  return {
    update: (t) => {
      spinner.text = t;
    },
    succeed: (t) => void spinner.succeed(t),
    fail: (t) => void spinner.fail(t),
    stop: () => void spinner.stop(),
  };
}

/** Off a TTY (logs, CI): one line when a task starts, a progress line at most every 5 s, one at the end. */
const PLAIN_PROGRESS_INTERVAL_MS = 5_000;

function plainTask(text: string, write: (line: string) => void, c: Colors): Task {
  let last = text;
  let lastAt = Date.now();
  let pending: string | undefined;
  write(`- ${text}`);
  return {
    update: (t) => {
      if (t === last) return;
      if (Date.now() - lastAt < PLAIN_PROGRESS_INTERVAL_MS) {
        pending = t;
        return;
      }
      write(`  ${t}`);
      last = t;
      lastAt = Date.now();
      pending = undefined;
    },
    succeed: (t) => write(`${c.green('✔')} ${t ?? pending ?? last}`),
    fail: (t) => write(`${c.red('✖')} ${t ?? pending ?? last}`),
    stop: () => undefined,
  };
}

/** Dates as ISO strings and Uint8Arrays as text, so `--json` mirrors the API's JSON. */
function jsonReplacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return value;
}

/** `2024-05-01 14:03:22 (3m ago)` in local time. */
export function formatTime(d: Date | number | undefined, now = Date.now()): string {
  if (d === undefined) return '-';
  const date = typeof d === 'number' ? new Date(d) : d;
  const p = (n: number) => String(n).padStart(2, '0');
  const local = `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
  return `${local} (${formatAge(now - date.getTime())})`;
}

export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Left-aligned columns separated by two spaces, header in bold (kubectl style, no boxes). */
export function renderTable(headers: string[], rows: string[][], c?: Colors): string {
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => strip(r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - strip(cell).length)))
      .join('  ')
      .trimEnd();
  const head = line(headers);
  return [c ? c.bold(head) : head, ...rows.map(line)].join('\n');
}

/** Collects a repeatable option (`--hp a=1 --hp b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `key=value` → [key, value]; the value may contain `=`. */
export function parseKeyValue(s: string, what = 'key=value'): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new CliError(`expected ${what}, got "${s}"`, EXIT.usage);
  return [s.slice(0, i), s.slice(i + 1)];
}

export function parseKeyValues(list: string[] | undefined, what?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list ?? []) {
    const [k, v] = parseKeyValue(s, what);
    out[k] = v;
  }
  return out;
}

/**
 * `--data CHANNEL=SOURCE` or just `--data SOURCE` (channel `training`, the name SageMaker's
 * samples read). A source may itself contain `=` (S3 keys), so only a leading channel-like name counts.
 */
export function parseChannel(s: string): { channel: string; source: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(s);
  if (m && !/^[a-z0-9]+:\/\//i.test(s)) return { channel: m[1]!, source: m[2]! };
  return { channel: 'training', source: s };
}

export function parseIntOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a whole number, got "${v}"`, EXIT.usage);
    return n;
  };
}
