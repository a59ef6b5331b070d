/** @module platform/logger — one structured logger for the server process (JSON lines on stderr). */

type Fields = Record<string, unknown>;
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = ORDER[(process.env.SLIPWAY_LOG_LEVEL as Level | undefined) ?? 'info'] ?? 20;

function write(level: Level, fields: Fields, msg: string): void {
  if (ORDER[level] < threshold) return;
  const out: Fields = { time: new Date().toISOString(), level, msg };
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { message: v.message, stack: v.stack } : v;
  }
  process.stderr.write(JSON.stringify(out) + '\n');
}

export const logger = {
  debug: (fields: Fields, msg: string) => write('debug', fields, msg),
  info: (fields: Fields, msg: string) => write('info', fields, msg),
  warn: (fields: Fields, msg: string) => write('warn', fields, msg),
  error: (fields: Fields, msg: string) => write('error', fields, msg),
};
