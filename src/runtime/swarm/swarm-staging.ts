/**
 * @module runtime/swarm/swarm-staging — `ContainerSpec.staging` and `collectStaged` on Swarm
 * (docs/cluster.md, "Data staging on the node the engine chose"):
 *
 *   createContainer  stager job service (the container's constraints, `node.id!=…` of its
 *                    apart group included, so the scheduler picks the node) with a node-local
 *                    volume at the mount path; it downloads and reports ─▶ the container's own
 *                    service, pinned `node.id==<that node>`, same volume at the mount path
 *                    (Pipe mode: a feeder job service on that node and volume copies Slipway's
 *                    streams into the FIFOs while the container lives; docs/cluster.md)
 *   startContainer   the stager's service is removed, then 1 task
 *   collectStaged    an uploader job service on the same node and volume sends the folders back
 *                    (also while the container runs: checkpoint, TensorBoard and Continuous pulls);
 *                    its exited container is removed from the node at once, so pulls leave nothing
 *   removeContainer  helpers removed; the volumes removed through the node's engine when reachable
 *
 * `StagingPlan.elsewhere` (a folder the container sees at another path, e.g. a CheckpointConfig
 * LocalPath): a second node-local volume `<service>-ml-<folder>`, at `<mount>/<folder>` in the
 * stager and uploader and at its own path in the container. The user's path is only ever a mount
 * target inside the container, never a path on the node.
 */
import type Docker from 'dockerode';
import { posix } from 'node:path';
import { ContainerStartError, RuntimeError, type CollectPlan, type ContainerSpec, type StagingPlan } from '../container-runtime.js';
import { pause } from '../engine-helpers.js';
import { STAGER_SCRIPT } from '../stager/stager-script.js';
import { currentTask, serviceNameFor, type RawService, type RawTask, type ServiceSpec } from './swarm-mapping.js';
import type { SwarmApi } from './swarm-api.js';

/** The node a staged container is pinned to, its volume and where that is mounted. */
export const STAGED_NODE_LABEL = 'slipway.swarm.staged-node';
export const STAGED_VOLUME_LABEL = 'slipway.swarm.staged-volume';
export const STAGED_MOUNT_LABEL = 'slipway.swarm.staged-mount';
/** Comma-separated folders of `StagingPlan.elsewhere`, each on its own volume `<volume>-<folder>`. */
export const STAGED_FOLDERS_LABEL = 'slipway.swarm.staged-folders';
/** On stager and uploader services: the container service they work for (never the caller's labels, so listContainers skips them). */
export const HELPER_OF_LABEL = 'slipway.swarm.helper-of';

const ENDED: ReadonlySet<string> = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);

export interface SwarmStagingOptions {
  /** Image of the stager and uploader (stdlib Python 3); on every node. */
  image: string;
  pollMs: number;
  /** Longest a stager may take, waiting for a node included. */
  stageTimeoutMs: number;
  /** Longest an upload may take. */
  collectTimeoutMs: number;
  /** The engine of a node (for removing its volume), when reachable. */
  nodeDocker: (nodeId: string) => Promise<Docker | undefined>;
  /** Stops a service's task and waits for its end (SwarmRuntime.stopContainer). */
  stop: (service: string, graceSeconds: number) => Promise<void>;
}

type Outcome = { ok: true } | { err: Error } | undefined;
type VolumeMount = { Type: 'volume'; Source: string; Target: string; ReadOnly?: boolean };

const FOLDER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Checks `plan.elsewhere` (controllers validate LocalPaths at the API; this keeps the runtime safe
 * on its own): plain folder names, absolute normalised container paths, no two at one place.
 */
export function elsewhereProblem(plan: StagingPlan): string | undefined {
  const seen = new Set<string>([plan.mountPath]);
  const folders = new Set<string>();
  for (const { folder, containerPath } of plan.elsewhere ?? []) {
    if (!FOLDER.test(folder) || folders.has(folder)) return `staged folder ${JSON.stringify(folder)} is not one plain, unique folder name`;
    folders.add(folder);
    const clean = containerPath.replace(/\/+$/, '');
    if (!clean.startsWith('/') || posix.normalize(clean) !== clean || /[\u0000-\u001f]/.test(clean)) return `${JSON.stringify(containerPath)} is not an absolute, normalised path`;
    if (seen.has(clean)) return `two mounts at ${clean}`;
    seen.add(clean);
  }
  return undefined;
}

/** The volumes of a staged service's `elsewhere` folders, as mounts for its helpers (`<mount>/<folder>`). */
function helperExtras(labels: Record<string, string>, volume: string, mount: string): VolumeMount[] {
  const folders = (labels[STAGED_FOLDERS_LABEL] ?? '').split(',').filter((f) => FOLDER.test(f));
  return folders.map((f) => ({ Type: 'volume', Source: `${volume}-${f}`, Target: posix.join(mount, f) }));
}

function watch(p: Promise<void>): () => Outcome {
  let o: Outcome;
  p.then(
    () => (o = { ok: true }),
    (err: unknown) => (o = { err: err instanceof Error ? err : new Error(String(err)) }),
  );
  return () => o;
}

export class SwarmStaging {
  constructor(
    private readonly api: SwarmApi,
    private readonly o: SwarmStagingOptions,
  ) {}

  private helperName(service: string, kind: 'stage' | 'collect' | 'feed'): string {
    return serviceNameFor(`${service}-${kind}`);
  }

  private helperSpec(name: string, of: string, mounts: VolumeMount[], args: string[], placement: { constraints: string[]; reserve?: NonNullable<ServiceSpec['TaskTemplate']['Resources']>['Reservations'] }): ServiceSpec {
    return {
      Name: name,
      Labels: { 'slipway.managed': 'true', [HELPER_OF_LABEL]: of },
      TaskTemplate: {
        ContainerSpec: {
          Image: this.o.image,
          Command: ['python3', '-c', STAGER_SCRIPT, ...args],
          Args: [],
          Env: ['PYTHONUNBUFFERED=1'],
          StopSignal: 'SIGTERM',
          StopGracePeriod: 2e9,
          Mounts: mounts,
        },
        Resources: { Reservations: placement.reserve ?? {} },
        RestartPolicy: { Condition: 'none' },
        ...(placement.constraints.length ? { Placement: { Constraints: placement.constraints } } : {}),
        Networks: [],
        ForceUpdate: 0,
      },
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    };
  }

  /**
   * Stops the helper's task, then deletes its service: deleting a running replicated-job service
   * alone leaves its container running on the node (seen with Engine 20.10.24).
   */
  private async removeHelper(name: string): Promise<void> {
    const s = await this.api.service(name);
    if (!s) return;
    await this.o.stop(name, 2).catch(() => undefined);
    await this.api.remove(s.ID).catch(() => undefined);
  }

  private async task(name: string): Promise<RawTask | undefined> {
    const s = await this.api.service(name);
    return s ? currentTask(await this.api.tasks([s.ID])) : undefined;
  }

  /** Stages `spec.staging` on the node the scheduler picks and creates `body` pinned there. */
  async create(spec: ContainerSpec, body: ServiceSpec): Promise<string> {
    const plan = spec.staging!;
    const problem = elsewhereProblem(plan);
    if (problem) throw new ContainerStartError(`container ${spec.name}: ${problem}`, true);
    const volume = `${body.Name}-ml`;
    const elsewhere = plan.elsewhere ?? [];
    const labels: Record<string, string> = { [STAGED_VOLUME_LABEL]: volume, [STAGED_MOUNT_LABEL]: plan.mountPath, ...(elsewhere.length ? { [STAGED_FOLDERS_LABEL]: elsewhere.map((e) => e.folder).join(',') } : {}) };
    const helperMounts: VolumeMount[] = [{ Type: 'volume', Source: volume, Target: plan.mountPath }, ...helperExtras(labels, volume, plan.mountPath)];
    const stager = this.helperName(body.Name, 'stage');
    await this.removeHelper(stager);
    const constraints = body.TaskTemplate.Placement?.Constraints ?? [];
    await this.api.create(
      // No reservations on helpers: Swarm (20.10) keeps counting a finished job task's reservation
      // on its node, even after its service is deleted, and then rejects later tasks there
      // ("assigned node no longer meets constraints"; swarmkit constraint_enforcer.go counts
      // tasks by desired state). The same holds for job containers, so jobs spread by
      // `placement.apartGroup` instead.
      this.helperSpec(stager, body.Name, helperMounts, ['stage', plan.url, plan.mountPath], { constraints }),
    );
    let node: string;
    try {
      node = await this.awaitStaged(stager, watch(plan.outcome));
    } catch (err) {
      await this.removeHelper(stager);
      throw err;
    }
    // The engine mounts parents first, so a folder inside /opt/ml (TensorBoard's default) lands on top.
    const own: VolumeMount[] = [
      { Type: 'volume', Source: volume, Target: plan.mountPath, ...(plan.readOnly ? { ReadOnly: true } : {}) },
      ...elsewhere.map((e) => ({ Type: 'volume' as const, Source: `${volume}-${e.folder}`, Target: e.containerPath.replace(/\/+$/, '') })),
    ];
    body.TaskTemplate.ContainerSpec.Mounts = [...(body.TaskTemplate.ContainerSpec.Mounts ?? []), ...own];
    body.TaskTemplate.Placement = { Constraints: [...constraints, `node.id==${node}`] };
    Object.assign(body.Labels, labels, { [STAGED_NODE_LABEL]: node });
    let id: string;
    try {
      id = await this.api.create(body, spec.pullAuth?.());
    } catch (err) {
      await this.removeHelper(stager);
      throw err;
    }
    if (plan.feed) {
      // Created with the container, not at its start: it only makes and opens the FIFOs, and
      // blocks until the container opens one. A separate task on no network of the container's.
      const feeder = this.helperName(body.Name, 'feed');
      try {
        await this.removeHelper(feeder);
        await this.api.create(this.helperSpec(feeder, body.Name, helperMounts, ['feed', plan.feed.url, plan.mountPath, ...plan.feed.fifos], { constraints: [`node.id==${node}`] }));
      } catch (err) {
        await this.removeHelper(feeder);
        await this.removeHelper(stager);
        await this.api.remove(id).catch(() => undefined);
        throw err;
      }
    }
    return id;
  }

  /** The stager's node once it reported success; throws with its reason otherwise. */
  private async awaitStaged(name: string, outcome: () => Outcome): Promise<string> {
    const deadline = Date.now() + this.o.stageTimeoutMs;
    let endedAt: number | undefined;
    let task: RawTask | undefined;
    while (Date.now() < deadline) {
      task = await this.task(name);
      const o = outcome();
      if (o && 'err' in o) throw new ContainerStartError(`staging the data on the node failed: ${o.err.message}`, true, o.err);
      if (o && task?.NodeID) return task.NodeID;
      const state = task?.Status?.State ?? '';
      if (ENDED.has(state)) {
        // The report comes before the exit; give it a moment to arrive.
        endedAt ??= Date.now();
        if (Date.now() - endedAt > 5_000) {
          const code = task?.Status?.ContainerStatus?.ExitCode;
          throw new ContainerStartError(`the staging task ended without a report (${state}${code !== undefined ? `, exit code ${code}` : ''}${task?.Status?.Err ? `: ${task.Status.Err}` : ''})`, true);
        }
      }
      await pause(this.o.pollMs);
    }
    throw new RuntimeError(`staging did not finish within ${Math.round(this.o.stageTimeoutMs / 1000)}s (the staging task: ${task?.Status?.State ?? 'not scheduled'}${task?.Status?.Err ? `, ${task.Status.Err}` : task?.Status?.Message ? `, ${task.Status.Message}` : ''})`);
  }

  /** Before the container's task is asked for: the stager goes, passing its reservation on. */
  async release(service: RawService): Promise<void> {
    if (!service.Spec.Labels[STAGED_NODE_LABEL]) return;
    await this.removeHelper(this.helperName(service.Spec.Name, 'stage'));
  }

  /** Runs the uploader on the container's node and volume; resolves when it reported success. */
  async collect(service: RawService, plan: CollectPlan, nodeReady: (nodeId: string) => Promise<boolean>): Promise<void> {
    const labels = service.Spec.Labels;
    const node = labels[STAGED_NODE_LABEL];
    const volume = labels[STAGED_VOLUME_LABEL];
    const mount = labels[STAGED_MOUNT_LABEL];
    if (!node || !volume || !mount) throw new RuntimeError(`collect from ${service.Spec.Name}: the container was not staged`);
    const name = this.helperName(service.Spec.Name, 'collect');
    await this.removeHelper(name);
    const outcome = watch(plan.outcome);
    const mounts: VolumeMount[] = [{ Type: 'volume', Source: volume, Target: mount }, ...helperExtras(labels, volume, mount)];
    await this.api.create(this.helperSpec(name, service.Spec.Name, mounts, ['collect', plan.url, mount, ...plan.paths], { constraints: [`node.id==${node}`] }));
    try {
      const deadline = Date.now() + this.o.collectTimeoutMs;
      let endedAt: number | undefined;
      while (Date.now() < deadline) {
        const o = outcome();
        if (o && 'err' in o) throw new RuntimeError(`sending the results from the node failed: ${o.err.message}`, o.err);
        if (o) return;
        if (!(await nodeReady(node))) throw new RuntimeError(`the node ${node} that holds the container's data is gone`);
        const state = (await this.task(name))?.Status?.State ?? '';
        if (ENDED.has(state)) {
          endedAt ??= Date.now();
          if (Date.now() - endedAt > 5_000) throw new RuntimeError(`the upload task ended without a report (${state})`);
        }
        await pause(this.o.pollMs);
      }
      throw new RuntimeError(`sending the results did not finish within ${Math.round(this.o.collectTimeoutMs / 1000)}s`);
    } finally {
      await this.removeHelper(name);
      await this.removeExited(node, name);
    }
  }

  /**
   * A deleted job service's exited container stays on its node (Engine 20.10): removed here, so
   * a running job's pulls (one uploader every few seconds) do not pile containers up. Best effort.
   */
  private async removeExited(node: string, service: string): Promise<void> {
    const docker = await this.o.nodeDocker(node).catch(() => undefined);
    if (!docker) return;
    const left = (await docker
      .listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.swarm.service.name=${service}`] }) })
      .catch(() => [])) as { Id: string }[];
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }

  /** After the container's service went: its helpers, then its volume on the node (bounded, best effort). */
  async cleanup(service: RawService): Promise<void> {
    await this.removeHelper(this.helperName(service.Spec.Name, 'stage'));
    await this.removeHelper(this.helperName(service.Spec.Name, 'collect'));
    await this.removeHelper(this.helperName(service.Spec.Name, 'feed'));
    const node = service.Spec.Labels[STAGED_NODE_LABEL];
    const volume = service.Spec.Labels[STAGED_VOLUME_LABEL];
    if (!node || !volume) return;
    const docker = await this.o.nodeDocker(node).catch(() => undefined);
    if (!docker) return;
    const volumes = [volume, ...helperExtras(service.Spec.Labels, volume, '/').map((m) => m.Source)];
    for (const v of volumes) await this.removeVolume(docker, v);
  }

  /**
   * Swarm (20.10) never removes the exited containers of a deleted job service (its tasks
   * linger), and they keep the volume in use: they are ours (stager, container, uploader) and go first.
   */
  private async removeVolume(docker: Docker, volume: string): Promise<void> {
    for (let i = 0; i < 20; i++) {
      try {
        const users = (await docker.listContainers({ all: true, filters: JSON.stringify({ volume: [volume] }) })) as { Id: string }[];
        for (const c of users) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
        await docker.getVolume(volume).remove();
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        await pause(500);
      }
    }
  }
}
