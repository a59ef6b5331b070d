import { describe, expect, it } from 'vitest';
import { RuntimeError, RuntimeUnsupportedError, portUrl, type ContainerInfo, type ImageInfo } from '../container-runtime.js';
import { unenforceable } from './swarm-networks.js';
import {
  currentTask,
  placementConstraints,
  schedulableNodes,
  serviceImage,
  serviceNameFor,
  taskExitCode,
  toContainerInfo,
  toServiceSpec,
  type RawNode,
  type RawService,
  type RawTask,
} from './swarm-mapping.js';

const opts = { gpuResource: 'gpu' };
const image = { cmd: ['image-cmd'] } as ImageInfo;

describe('swarm mapping: ContainerSpec → service', () => {
  it('makes a stopped one-task job, or a service for restart: always, with dnsrr and host-mode ports', () => {
    const job = toServiceSpec({ name: 'j', image: 'img', publishPorts: [8080] }, opts);
    expect(job.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 0 } });
    expect(job.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none' });
    expect(job.EndpointSpec).toEqual({ Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] });
    const svc = toServiceSpec({ name: 's', image: 'img', restart: 'always' }, opts);
    expect(svc.Mode).toEqual({ Replicated: { Replicas: 0 } });
    expect(svc.TaskTemplate.RestartPolicy.Condition).toBe('any');
  });

  it('maps placement and reservations, GPUs as a generic resource', () => {
    const s = toServiceSpec(
      { name: 'p', image: 'img', placement: { nodeLabels: { 'slipway.node': 'n1' }, reserve: { nanoCpus: 2e9, memoryBytes: 1024, gpus: 2 } } },
      opts,
    );
    expect(s.TaskTemplate.Placement).toEqual({ Constraints: ['node.labels.slipway.node==n1'] });
    expect(s.TaskTemplate.Resources?.Reservations).toEqual({
      NanoCPUs: 2e9,
      MemoryBytes: 1024,
      GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 2 } }],
    });
  });

  it('reserves the GPUs a container asks for, so Swarm gives each task its own', () => {
    const s = toServiceSpec({ name: 'g', image: 'img', gpus: 1 }, opts);
    expect(s.TaskTemplate.Resources?.Reservations).toEqual({ GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }] });
  });

  it('refuses bind mounts with RuntimeUnsupportedError and constraint injection with RuntimeError', () => {
    expect(() => toServiceSpec({ name: 'b', image: 'img', binds: [{ hostPath: '/data', containerPath: '/in' }] }, opts)).toThrow(RuntimeUnsupportedError);
    expect(() => placementConstraints({ 'a==b,node.role': 'manager' })).toThrow(RuntimeError);
    expect(() => placementConstraints({ a: 'x!=y' })).toThrow(RuntimeError);
  });

  it('clears the ENTRYPOINT by running the CMD as the command (Swarm reads an empty Command as "the image\'s")', () => {
    expect(toServiceSpec({ name: 'e', image: 'img', entrypoint: [], cmd: ['/bin/echo', 'x'] }, opts).TaskTemplate.ContainerSpec).toMatchObject({ Command: ['/bin/echo', 'x'], Args: [] });
    expect(toServiceSpec({ name: 'e', image: 'img', entrypoint: [] }, { ...opts, image }).TaskTemplate.ContainerSpec).toMatchObject({ Command: ['image-cmd'] });
    expect(() => toServiceSpec({ name: 'e', image: 'img', entrypoint: [] }, opts)).toThrow(/no command to run/);
  });

  it('derives DNS-label service names deterministically', () => {
    expect(serviceNameFor('slipway-job-abc')).toBe('slipway-job-abc');
    const long = serviceNameFor(`x_${'a'.repeat(80)}`);
    expect(long).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]$/);
    expect(serviceNameFor(`x_${'a'.repeat(80)}`)).toBe(long);
    expect(serviceNameFor(`x_${'a'.repeat(81)}`)).not.toBe(long);
  });
});

describe('swarm mapping: service + tasks → ContainerInfo', () => {
  const service = (restart: 'never' | 'always' = 'never'): RawService => ({
    ID: 'svc1',
    Version: { Index: 1 },
    Spec: { ...toServiceSpec({ name: 'c', image: 'img', restart, labels: { k: 'v' } }, opts) },
  });
  const nodes: RawNode[] = [
    { ID: 'n1', Spec: { Labels: { 'slipway.node': 'n1' } }, Status: { State: 'ready', Addr: '10.0.0.11' } },
    { ID: 'n2', Spec: { Labels: { 'slipway.node': 'n2' } }, Status: { State: 'down', Addr: '10.0.0.12' } },
  ];
  const task = (over: Partial<RawTask> & { state: string; node?: string; at?: string }): RawTask => ({
    ID: `t-${over.state}`,
    ServiceID: 'svc1',
    NodeID: over.node ?? 'n1',
    CreatedAt: over.at ?? '2026-01-01T00:00:00Z',
    DesiredState: over.DesiredState ?? 'running',
    Status: { State: over.state as never, Timestamp: '2026-01-01T00:00:01Z', ContainerStatus: { ContainerID: 'c1', ExitCode: 0 }, ...over.Status },
  });

  it('reports the running task with its node, address and ports', () => {
    const t = task({ state: 'running', Status: { PortStatus: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 30001 }] } } });
    const info = toContainerInfo(service(), [t], nodes);
    expect(info).toMatchObject({ id: 'svc1', name: 'c', state: 'running', running: true, exitCode: null, node: 'n1', portHost: '10.0.0.11', ports: { 8080: 30001 } });
    expect(info.labels).toEqual({ k: 'v' });
    expect(portUrl(info, 8080)).toBe('http://10.0.0.11:30001');
  });

  it('a failed task with code 0 did not exit 0 (Swarm fills 0 when the container vanished)', () => {
    expect(taskExitCode(task({ state: 'failed', Status: { ContainerStatus: { ContainerID: 'c1', ExitCode: 0 } } }))).toBeNull();
    expect(taskExitCode(task({ state: 'failed', Status: { ContainerStatus: { ContainerID: 'c1', ExitCode: 3 } } }))).toBe(3);
    expect(taskExitCode(task({ state: 'complete' }))).toBe(0);
  });

  it('a job task on a lost node has ended, dead, with no exit code and a reason', () => {
    const info = toContainerInfo(service(), [task({ state: 'running', node: 'n2' })], nodes);
    expect(info).toMatchObject({ state: 'dead', running: false, exitCode: null, node: 'n2' });
    expect(info.reason).toMatch(/node n2 \(n2\) is down/);
  });

  it('follows the newest task Swarm still wants (a rescheduled service task)', () => {
    const old = task({ state: 'running', node: 'n2', DesiredState: 'shutdown', at: '2026-01-01T00:00:00Z' });
    const fresh = { ...task({ state: 'running', node: 'n1', at: '2026-01-01T00:00:10Z' }), ID: 'fresh' };
    expect(currentTask([old, fresh])?.ID).toBe('fresh');
    expect(toContainerInfo(service('always'), [old, fresh], nodes)).toMatchObject({ running: true, node: 'n1' } satisfies Partial<ContainerInfo>);
  });
});

describe('swarm networks: what an overlay cannot enforce', () => {
  it('refuses the switches a host bridge has and an overlay does not', () => {
    expect(unenforceable({})).toBeUndefined();
    expect(unenforceable({ internal: true })).toBeUndefined();
    expect(unenforceable({ outbound: false })).toMatch(/cannot cut outbound/);
    expect(unenforceable({ interContainer: false })).toMatch(/cannot stop members/);
    expect(unenforceable({ host: false })).toMatch(/node's own addresses/);
  });
});

describe('swarm mapping: which image a service names', () => {
  const info = { id: 'sha256:' + 'b'.repeat(64) } as ImageInfo;
  const digest = 'sha256:' + 'a'.repeat(64);

  it('keeps a reference by digest: every node pulls exactly those bits', () => {
    expect(serviceImage(`10.0.0.5:7447/team/algo@${digest}`, info)).toBe(`10.0.0.5:7447/team/algo@${digest}`);
  });

  it("names any other image by the manager's id, so a node with another image of that name cannot run it", () => {
    expect(serviceImage('team/algo:1', info)).toBe(info.id);
    expect(serviceImage('123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1', info)).toBe(info.id);
    // A tag that merely looks like a digest, or a short one, is not a digest reference.
    expect(serviceImage('algo@sha256:abc', info)).toBe(info.id);
  });

  it('counts ready, active nodes as where a local image must be', () => {
    const nodes: RawNode[] = [
      { ID: 'a', Status: { State: 'ready' }, Spec: { Availability: 'active' } },
      { ID: 'b', Status: { State: 'down' }, Spec: { Availability: 'active' } },
      { ID: 'c', Status: { State: 'ready' }, Spec: { Availability: 'drain' } },
      { ID: 'd', Status: { State: 'ready' } },
    ];
    expect(schedulableNodes(nodes).map((n) => n.ID)).toEqual(['a', 'd']);
  });
});
