/**
 * @module test/helpers/cluster/swarm-cluster — a multi-node Docker Swarm for a test file, made by
 * scripts/swarm-cluster: every node (manager included) an extra dockerd in its own network
 * namespace, so the host's engine never enters swarm mode. `startCluster` in beforeAll,
 * `cluster.down()` in afterAll; a watchdog in the script removes everything should this process die
 * first (killed worker, Ctrl-C), and the next `up` removes any leftovers too.
 *
 * Only one test process may own a cluster at a time: `up` waits (bounded) while another live
 * process owns it, so cluster test files run one after another whatever vitest schedules. The
 * script has ten independent slots (SLIPWAY_SWARM_SLOT, inherited from this process's environment),
 * so two processes that set different slots never wait for each other.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../scripts/swarm-cluster', import.meta.url));

/** Cluster tests run when this is set (.ci/run sets it); they need root and ~3 GB for node image stores. */
export const CLUSTER_TESTS_ENABLED = process.env.SLIPWAY_CLUSTER_TESTS === '1';

export interface ClusterNode {
  index: number;
  /** `n0` (manager), `n1`, …: also the node's `slipway.node` label. */
  name: string;
  id: string;
  role: 'manager' | 'worker';
  /** The node's address on the harness bridge, reachable from the host. */
  address: string;
  /** `unix:///run/slipway-swarm/nI.sock` */
  dockerHost: string;
  netns: string;
}

export interface Cluster {
  hostAddress: string;
  nodes: ClusterNode[];
  manager: ClusterNode;
  /** Stops node I's engine (its tasks die with it), as a machine going away. */
  stopNode(index: number): void;
  startNode(index: number): void;
  /** Copies host images onto every node that lacks that image id (asynchronously: it takes seconds per image). */
  load(images: string[]): Promise<void>;
  /** `docker <args>` against one node. */
  docker(node: ClusterNode, args: string[], input?: string): string;
  /** Removes everything `startCluster` made; safe to call twice. */
  down(): void;
}

/** Runs the script; its stderr is kept, so a failure carries the script's own words. */
function script(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(SCRIPT, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], env });
  if (r.status !== 0) throw new Error(`scripts/swarm-cluster ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${r.stderr}`);
  return r.stdout;
}

function loadAsync(images: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(SCRIPT, ['load', ...images], { timeout: 600_000, maxBuffer: 16 << 20, env }, (err, _stdout, stderr) =>
      err ? reject(new Error(`scripts/swarm-cluster load ${images.join(' ')} failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

/**
 * Starts a cluster of one manager and `workers` workers and loads `images` from the host onto every
 * node. `slot` (default: SLIPWAY_SWARM_SLOT, else 0) picks one of the script's ten independent
 * clusters, so test files on different slots never wait for each other.
 */
export async function startCluster(opts: { workers: number; images: string[]; slot?: number }): Promise<Cluster> {
  const env = opts.slot === undefined ? process.env : { ...process.env, SLIPWAY_SWARM_SLOT: String(opts.slot) };
  let out = '';
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      out = script(['up', '--workers', String(opts.workers), '--owner', String(process.pid)], 120_000, env);
      break;
    } catch (err) {
      // Another test file owns it: wait for it to finish (its afterAll or its watchdog ends it).
      // Waiting does not block this worker's event loop: a loop stopped for minutes loses its link
      // to vitest ("Timeout calling onTaskUpdate"). `up` itself is synchronous: its watchdog keeps
      // the script's pipes open, so an asynchronous child would never report its end.
      if (Date.now() > deadline || !/in use by process/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  let alive = true;
  const down = () => {
    if (!alive) return;
    alive = false;
    process.off('exit', down);
    script(['down'], 120_000, env);
  };
  process.on('exit', down);
  try {
    const state = JSON.parse(out) as { hostAddress: string; nodes: ClusterNode[] };
    if (opts.images.length) await loadAsync(opts.images, env);
    const manager = state.nodes.find((n) => n.role === 'manager')!;
    return {
      hostAddress: state.hostAddress,
      nodes: state.nodes,
      manager,
      load: (images) => loadAsync(images, env),
      stopNode: (i) => void script(['stop-node', String(i)], 60_000, env),
      startNode: (i) => void script(['start-node', String(i)], 90_000, env),
      docker: (node, args, input) =>
        execFileSync('docker', ['-H', node.dockerHost, ...args], { encoding: 'utf8', input, timeout: 120_000, stdio: ['pipe', 'pipe', 'pipe'] }),
      down,
    };
  } catch (err) {
    down();
    throw err;
  }
}
