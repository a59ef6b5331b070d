/**
 * @module registry/host-opt-in — makes ECR host names (`<account>.dkr.ecr.<region>.amazonaws.com`)
 * reach Slipway's registry on this machine, and takes that back. Opt-in, because it edits
 * machine-wide files:
 *
 *   enable ─► $SLIPWAY_HOME/registry-host/ca.{key,crt}        a local CA (made once)
 *          ─► $SLIPWAY_HOME/registry-host/server.{key,crt}    a certificate for every enabled name
 *          ─► /etc/hosts                                       127.0.0.1 <name>   # slipway-registry-host <home>
 *          ─► /etc/docker/certs.d/<name>/ca.crt                Docker trusts the CA for that name
 *          ─► state.json                                       what was added, for undo
 *   the server with that home sees state.json (server/registry-tls-listener.ts) and serves TLS on 443 for the names
 *   disable ─► removes the hosts lines, the ca.crt files (and the folders it created), the directory
 *
 * Docker reads `certs.d/<host>/ca.crt` on every connection (https://docs.docker.com/engine/security/certificates/),
 * so neither the engine nor Slipway needs a restart. Keys and certificates come from the `openssl`
 * command (P-256 keys; the CA lives 10 years, the server certificate 825 days, the most clients accept).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface OptInPaths {
  hostsFile: string;
  /** Docker's per-registry certificate folders. */
  certsDir: string;
}

export const SYSTEM_PATHS: OptInPaths = { hostsFile: '/etc/hosts', certsDir: '/etc/docker/certs.d' };

/** What enable added, so that disable removes exactly that. */
export interface OptInState {
  names: string[];
  /** Folders this module created (certs.d/<name>, and certs.d itself if it was missing); removed again when empty. */
  createdDirs: string[];
  /** certs.d/<name>/ca.crt files it wrote. */
  caFiles: string[];
  hostsFile: string;
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

export function optInDir(home: string): string {
  return join(home, 'registry-host');
}

export function statePath(home: string): string {
  return join(optInDir(home), 'state.json');
}

export function readOptIn(home: string): OptInState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(home), 'utf8')) as OptInState;
  } catch {
    return undefined;
  }
}

/** The marker on each hosts line this module adds for `home`. */
function marker(home: string): string {
  return `# slipway-registry-host ${home}`;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 60_000 });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message?: string };
    if (e.code === 'ENOENT') throw new Error('the openssl command is missing (apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr || e.message || '').trim()}`);
  }
}

async function ensureCa(dir: string, home: string): Promise<void> {
  if (existsSync(join(dir, 'ca.crt')) && existsSync(join(dir, 'ca.key'))) return;
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'), '-days', '3650', '-sha256',
    '-subj', `/O=Slipway/CN=Slipway local registry CA ${randomBytes(4).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', `nsComment=Slipway registry host names for ${home.replace(/[^\w/.-]/g, '_')}`,
  ]);
}

async function issueServerCert(dir: string, names: string[]): Promise<void> {
  const ext = join(dir, 'server.ext');
  writeFileSync(
    ext,
    [`subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', ''].join('\n'),
  );
  const csr = join(dir, 'server.csr');
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'server.key.new'), '-out', csr, '-subj', `/CN=${names[0]}`]);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-set_serial', `0x${randomBytes(16).toString('hex')}`,
    '-days', '825', '-sha256', '-extfile', ext, '-out', join(dir, 'server.crt.new'),
  ]);
  // The listener reloads when state.json changes; key and certificate are replaced before that.
  writeFileSync(join(dir, 'server.key'), readFileSync(join(dir, 'server.key.new')), { mode: 0o600 });
  writeFileSync(join(dir, 'server.crt'), readFileSync(join(dir, 'server.crt.new')));
  for (const f of ['server.key.new', 'server.crt.new', 'server.csr', 'server.ext']) rmSync(join(dir, f), { force: true });
}

function hostsLines(text: string): string[] {
  return text.split('\n');
}

/** A hosts entry for `name` that is not ours (the operator's own mapping wins; we do not touch it). */
function foreignMapping(text: string, name: string, home: string): string | undefined {
  return hostsLines(text).find((l) => {
    const body = l.split('#')[0]!.trim().split(/\s+/);
    return body.length > 1 && body.slice(1).includes(name) && !l.includes(marker(home));
  });
}

/**
 * Adds `names` (ECR host names) for the server whose data directory is `home`. Idempotent: names
 * already enabled are left as they are. Returns the state; throws (changing nothing more) when a
 * name is mapped elsewhere in the hosts file or Docker already trusts another CA for it.
 */
export async function enableHostNames(home: string, names: string[], paths: OptInPaths = SYSTEM_PATHS): Promise<{ state: OptInState; hostsChanged: boolean }> {
  for (const n of names) if (!HOST_NAME.test(n)) throw new Error(`not a host name: ${JSON.stringify(n)}`);
  if (/[\r\n#]/.test(home)) throw new Error(`the data directory ${JSON.stringify(home)} cannot be named in a hosts file comment`);
  const dir = optInDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const state: OptInState = readOptIn(home) ?? { names: [], createdDirs: [], caFiles: [], hostsFile: paths.hostsFile };
  const save = () => writeFileSync(statePath(home), `${JSON.stringify(state, null, 2)}\n`);

  const hostsText = readFileSync(paths.hostsFile, 'utf8');
  for (const n of names) {
    const foreign = foreignMapping(hostsText, n, home);
    if (foreign) throw new Error(`${paths.hostsFile} already maps ${n} (${foreign.trim()}); remove that line first`);
    const ca = join(paths.certsDir, n, 'ca.crt');
    if (existsSync(ca) && !state.caFiles.includes(ca)) throw new Error(`${ca} exists and was not written by Slipway; remove it first`);
  }

  await ensureCa(dir, home);
  const all = [...new Set([...state.names, ...names])];
  if (!existsSync(join(dir, 'server.crt')) || all.length !== state.names.length) await issueServerCert(dir, all);
  const caPem = readFileSync(join(dir, 'ca.crt'));

  let hostsChanged = false;
  for (const n of names) {
    const certDir = join(paths.certsDir, n);
    // Every folder created on the way (certs.d itself may be new), outermost first.
    const first = mkdirSync(certDir, { recursive: true });
    if (first !== undefined) {
      for (let d = certDir; ; d = dirname(d)) {
        if (!state.createdDirs.includes(d)) state.createdDirs.push(d);
        if (d === first || d === dirname(d)) break;
      }
    }
    const ca = join(certDir, 'ca.crt');
    writeFileSync(ca, caPem);
    if (!state.caFiles.includes(ca)) state.caFiles.push(ca);
    save();
    const current = readFileSync(paths.hostsFile, 'utf8');
    if (!hostsLines(current).some((l) => l.includes(marker(home)) && l.split(/\s+/).includes(n))) {
      // Written in place (not renamed over): /etc/hosts is often a bind mount.
      writeFileSync(paths.hostsFile, `${current}${current.endsWith('\n') || current === '' ? '' : '\n'}127.0.0.1 ${n} ${marker(home)}\n`);
      hostsChanged = true;
    }
  }
  state.names = all;
  state.hostsFile = paths.hostsFile;
  save();
  return { state, hostsChanged };
}

/** Removes everything enableHostNames added for `home`; returns the names it took back. */
export function disableHostNames(home: string, paths: OptInPaths = SYSTEM_PATHS): string[] {
  const state = readOptIn(home);
  const hostsFile = state?.hostsFile ?? paths.hostsFile;
  if (existsSync(hostsFile)) {
    const text = readFileSync(hostsFile, 'utf8');
    const kept = hostsLines(text).filter((l) => !l.includes(marker(home)));
    const next = kept.join('\n');
    if (next !== text) writeFileSync(hostsFile, next);
  }
  if (state) {
    const caPem = existsSync(join(optInDir(home), 'ca.crt')) ? readFileSync(join(optInDir(home), 'ca.crt'), 'utf8') : undefined;
    for (const f of state.caFiles) {
      // Only our own certificate: someone may have replaced it since.
      if (existsSync(f) && (caPem === undefined || readFileSync(f, 'utf8') === caPem)) rmSync(f, { force: true });
    }
    // Deepest first, so a parent it created is empty by the time it comes.
    for (const d of [...state.createdDirs].sort((a, b) => b.length - a.length)) {
      if (existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
    }
  }
  rmSync(optInDir(home), { recursive: true, force: true });
  return state?.names ?? [];
}
