/**
 * @module test/helpers/cluster/test-cluster — the Swarm the behaviour matrix runs the one-engine
 * suites on (issue 15, acceptance 4). With SLIPWAY_TEST_RUNTIME=swarm, `startTestServer` starts
 * Slipway on this cluster instead of the host's engine: one cluster per test process (the matrix
 * file imports several suites into one process), a manager and two workers, every image a test
 * builds copied onto every node (as an operator pre-loads images), so the suites' image names run
 * unchanged.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BASE_IMAGE, ensureBaseImage, onTestImageBuilt } from '../../fixtures/images/build.js';
import { startCluster, type Cluster } from './swarm-cluster.js';

const execFileAsync = promisify(execFile);

/** Whether this process's test servers run on the Swarm (the matrix project sets it). */
export const onSwarm = (): boolean => process.env.SLIPWAY_TEST_RUNTIME === 'swarm';

let shared: Promise<Cluster> | undefined;

/** The process's cluster, started on first use; `releaseTestCluster` (or process exit) removes it. */
export function testCluster(): Promise<Cluster> {
  shared ??= (async () => {
    await ensureBaseImage();
    const cluster = await startCluster({ workers: 2, images: [BASE_IMAGE] });
    // The same image (the same id) on every node: Swarm services name local images by id, and a
    // node holding another build of that name is refused (docs/cluster.md, "Images").
    await onTestImageBuilt(({ tag }) => cluster.load([tag]));
    return cluster;
  })();
  shared.catch(() => (shared = undefined));
  return shared;
}

export async function releaseTestCluster(): Promise<void> {
  const cluster = await shared?.catch(() => undefined);
  shared = undefined;
  cluster?.down();
}

/** Where a container (one engine) or a service's task (Swarm) has its mounts, and whether each is read-only. */
export async function mountsOf(id: string): Promise<{ destination: string; readOnly: boolean }[]> {
  if (!onSwarm()) {
    const { stdout } = await execFileAsync('docker', ['inspect', '--format', '{{json .Mounts}}', id]);
    return (JSON.parse(stdout) as { Destination: string; RW: boolean }[]).map((m) => ({ destination: m.Destination, readOnly: !m.RW }));
  }
  const cluster = await testCluster();
  const { stdout } = await execFileAsync('docker', ['-H', cluster.manager.dockerHost, 'service', 'inspect', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}', id]);
  return ((JSON.parse(stdout) as { Target: string; ReadOnly?: boolean }[] | null) ?? []).map((m) => ({ destination: m.Target, readOnly: m.ReadOnly === true }));
}

/** A container's (one engine) or a service task's (Swarm) memory limit in bytes and CPU limit in nano-CPUs. */
export async function limitsOf(id: string): Promise<{ memory: number; nanoCpus: number }> {
  const [host, format, what] = onSwarm()
    ? [['-H', (await testCluster()).manager.dockerHost], '{{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}} {{.Spec.TaskTemplate.Resources.Limits.NanoCPUs}}', ['service', 'inspect']]
    : [[], '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', ['inspect']];
  const { stdout } = await execFileAsync('docker', [...host, ...what, '--format', format, id]);
  const [memory, nanoCpus] = stdout.trim().split(' ').map(Number);
  return { memory: memory!, nanoCpus: nanoCpus! };
}
