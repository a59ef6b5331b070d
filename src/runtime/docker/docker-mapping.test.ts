import { describe, expect, it } from 'vitest';
import { RuntimeError, RuntimeNotFoundError, RuntimeUnavailableError } from '../container-runtime.js';
import {
  containerStartFailure,
  computeStats,
  hostIsolationOf,
  publishedPorts,
  toContainerInfo,
  toCreateOptions,
  toImageInfo,
  toNetworkCreateOptions,
  translateError,
} from './docker-mapping.js';
import { bridgeNameFor } from './host-firewall.js';

describe('toCreateOptions', () => {
  it('maps a full spec onto the Docker create body', () => {
    const body = toCreateOptions({
      name: 'slipway-job-1',
      image: 'algo:v1',
      entrypoint: ['/bin/train'],
      cmd: ['--epochs', '3'],
      env: { A: '1', B: 'x=y' },
      labels: { 'slipway.managed': 'true' },
      binds: [
        { hostPath: '/data/in', containerPath: '/opt/ml/input', readOnly: true },
        { hostPath: '/data/out', containerPath: '/opt/ml/output' },
      ],
      publishPorts: [8080],
      network: { name: 'net-1', aliases: ['algo-1'] },
      hostname: 'algo-1',
      limits: { nanoCpus: 1_500_000_000, memoryBytes: 1 << 30, pidsLimit: 4096 },
      shmSizeBytes: 1 << 29,
      workingDir: '/opt/ml',
    });
    expect(body).toMatchObject({
      name: 'slipway-job-1',
      Image: 'algo:v1',
      Entrypoint: ['/bin/train'],
      Cmd: ['--epochs', '3'],
      Env: ['A=1', 'B=x=y'],
      Labels: { 'slipway.managed': 'true' },
      ExposedPorts: { '8080/tcp': {} },
      Hostname: 'algo-1',
      WorkingDir: '/opt/ml',
      Tty: false,
      OpenStdin: false,
      NetworkingConfig: { EndpointsConfig: { 'net-1': { Aliases: ['algo-1'] } } },
      HostConfig: {
        AutoRemove: false,
        Binds: ['/data/in:/opt/ml/input:ro', '/data/out:/opt/ml/output:rw'],
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        NetworkMode: 'net-1',
        NanoCpus: 1_500_000_000,
        Memory: 1 << 30,
        PidsLimit: 4096,
        ShmSize: 1 << 29,
      },
    });
  });

  it('leaves ENTRYPOINT and CMD to the image unless given, and sends [] to clear the ENTRYPOINT', () => {
    const plain = toCreateOptions({ name: 'a', image: 'i' });
    expect(plain).not.toHaveProperty('Entrypoint');
    expect(plain).not.toHaveProperty('Cmd');
    expect(plain).not.toHaveProperty('NetworkingConfig');
    expect(plain.HostConfig).not.toHaveProperty('NetworkMode');
    expect(toCreateOptions({ name: 'a', image: 'i', entrypoint: [] }).Entrypoint).toEqual([]);
  });

  it('uses network mode none when networking is disabled', () => {
    expect(toCreateOptions({ name: 'a', image: 'i', networkDisabled: true }).HostConfig?.NetworkMode).toBe('none');
  });

  it('refuses published ports without a network and invalid ports', () => {
    expect(() => toCreateOptions({ name: 'a', image: 'i', networkDisabled: true, publishPorts: [8080] })).toThrow(RuntimeError);
    expect(() => toCreateOptions({ name: 'a', image: 'i', publishPorts: [70000] })).toThrow(/invalid port/);
  });
});

describe('toNetworkCreateOptions', () => {
  it('sends no driver options for an ordinary network', () => {
    expect(toNetworkCreateOptions('n', { a: 'b' }, {})).toEqual({ Name: 'n', Driver: 'bridge', CheckDuplicate: true, Internal: false, Labels: { a: 'b' } });
  });

  it('maps internal and names its bridge so the host firewall can guard it', () => {
    expect(toNetworkCreateOptions('n', { a: 'b' }, { internal: true })).toEqual({
      Name: 'n',
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: true,
      Labels: { a: 'b' },
      Options: { 'com.docker.network.bridge.name': bridgeNameFor('n') },
    });
  });

  it('turns off masquerading and inter-container traffic with the bridge driver options', () => {
    expect(toNetworkCreateOptions('n', {}, { outbound: false, interContainer: false }).Options).toEqual({
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
      'com.docker.network.bridge.enable_icc': 'false',
      'com.docker.network.bridge.name': bridgeNameFor('n'),
    });
    expect(toNetworkCreateOptions('n', {}, { outbound: true, interContainer: true }).Options).toBeUndefined();
  });

  it('names the bridge and labels the network that must not reach the host, on the subnet given', () => {
    const body = toNetworkCreateOptions('n', { a: 'b' }, { host: false }, { subnet: '10.213.7.0/24', gateway: '10.213.7.1' });
    expect(body).toMatchObject({
      Internal: false,
      Labels: { a: 'b', 'slipway.host-access': 'none' },
      Options: { 'com.docker.network.bridge.name': bridgeNameFor('n') },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.7.0/24', Gateway: '10.213.7.1' }] },
    });
    expect(body.Options).not.toHaveProperty(['com.docker.network.bridge.enable_ip_masquerade']);
    expect(toNetworkCreateOptions('n', {}, {})).not.toHaveProperty('IPAM');
  });
});

describe('hostIsolationOf', () => {
  const id = '0123456789abcdef0123';
  it('reads the named bridge of a network without outbound NAT', () => {
    const raw = { Id: id, Name: 'n', Driver: 'bridge', Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'false', 'com.docker.network.bridge.name': 'slwabc' } };
    expect(hostIsolationOf(raw)).toEqual({ bridge: 'slwabc', ipv6: false, forward: true });
  });

  it('guards only the host for a network labelled host-access none that keeps its outbound NAT', () => {
    const raw = { Id: id, Name: 'n', Driver: 'bridge', Labels: { 'slipway.host-access': 'none' }, Options: { 'com.docker.network.bridge.name': 'slwdef' } };
    expect(hostIsolationOf(raw)).toEqual({ bridge: 'slwdef', ipv6: false, forward: false });
  });

  it("falls back to Docker's own bridge name for networks made before bridges were named", () => {
    expect(hostIsolationOf({ Id: id, Name: 'n', Internal: true, EnableIPv6: true, Options: {} })).toEqual({ bridge: 'br-0123456789ab', ipv6: true, forward: true });
  });

  it('ignores ordinary networks and other drivers', () => {
    expect(hostIsolationOf({ Id: id, Name: 'n', Driver: 'bridge', Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'true' } })).toBeUndefined();
    expect(hostIsolationOf({ Id: id, Name: 'n', Driver: 'bridge', Options: null })).toBeUndefined();
    expect(hostIsolationOf({ Id: id, Name: 'n', Driver: 'overlay', Internal: true })).toBeUndefined();
  });
});

describe('toContainerInfo', () => {
  const raw = {
    Id: 'abc',
    Name: '/slipway-job-1',
    Config: { Image: 'algo:v1', Labels: { k: 'v' } },
    State: {
      Status: 'exited',
      Running: false,
      ExitCode: 137,
      OOMKilled: true,
      StartedAt: '2024-05-01T12:00:00.5Z',
      FinishedAt: '2024-05-01T12:01:00Z',
    },
    NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '32768' }], '9000/udp': null } },
  };

  it('maps state, exit code, times, labels and published ports', () => {
    expect(toContainerInfo(raw)).toEqual({
      id: 'abc',
      name: 'slipway-job-1',
      image: 'algo:v1',
      labels: { k: 'v' },
      state: 'exited',
      running: false,
      exitCode: 137,
      oomKilled: true,
      startedAt: new Date('2024-05-01T12:00:00.5Z'),
      finishedAt: new Date('2024-05-01T12:01:00Z'),
      ports: { 8080: 32768 },
    });
  });

  it('has no exit code or times for a container that never ran', () => {
    const info = toContainerInfo({
      Id: 'x',
      Name: '/x',
      Config: { Image: 'i', Labels: null },
      State: { Status: 'created', Running: false, ExitCode: 0, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
      NetworkSettings: { Ports: {} },
    });
    expect(info).toMatchObject({ state: 'created', exitCode: null, startedAt: undefined, finishedAt: undefined, labels: {} });
  });
});

describe('publishedPorts', () => {
  it('prefers the loopback binding and skips unbound ports', () => {
    expect(
      publishedPorts({
        '8080/tcp': [
          { HostIp: '::', HostPort: '40000' },
          { HostIp: '127.0.0.1', HostPort: '40001' },
        ],
        '8081/tcp': null,
        '8082/tcp': [],
      }),
    ).toEqual({ 8080: 40001 });
  });
});

describe('toImageInfo', () => {
  it('maps config fields and keeps a missing ENTRYPOINT as null', () => {
    expect(
      toImageInfo({
        Id: 'sha256:1',
        RepoTags: ['a:1'],
        RepoDigests: null,
        Architecture: 'amd64',
        Os: 'linux',
        Size: 10,
        Config: { Entrypoint: null, Cmd: ['python3'], Env: ['PATH=/bin'], Labels: null, WorkingDir: '/w', User: 'app' },
      }),
    ).toEqual({
      id: 'sha256:1',
      repoTags: ['a:1'],
      repoDigests: [],
      entrypoint: null,
      cmd: ['python3'],
      env: ['PATH=/bin'],
      labels: {},
      architecture: 'amd64',
      os: 'linux',
      sizeBytes: 10,
      workingDir: '/w',
      user: 'app',
    });
  });
});

describe('computeStats', () => {
  it('computes CPU percent like docker stats and subtracts the inactive file cache', () => {
    expect(
      computeStats({
        read: '2024-05-01T12:00:01Z',
        cpu_stats: { cpu_usage: { total_usage: 3_000 }, system_cpu_usage: 20_000, online_cpus: 2 },
        precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 },
        memory_stats: { usage: 1_000, limit: 4_000, stats: { total_inactive_file: 300 } },
      }),
    ).toEqual({ cpuPercent: 40, memoryBytes: 700, memoryLimitBytes: 4_000 });
  });

  it('reads the cgroup v2 cache field and falls back to per-CPU count', () => {
    const s = computeStats({
      read: '2024-05-01T12:00:01Z',
      cpu_stats: { cpu_usage: { total_usage: 500, percpu_usage: [1, 2, 3, 4] }, system_cpu_usage: 1_000 },
      precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 },
      memory_stats: { usage: 100, limit: 200, stats: { inactive_file: 40 } },
    });
    expect(s).toEqual({ cpuPercent: 200, memoryBytes: 60, memoryLimitBytes: 200 });
  });

  it('gives undefined for the empty sample of a stopped container', () => {
    expect(computeStats({ read: '0001-01-01T00:00:00Z', memory_stats: {} })).toBeUndefined();
  });
});

describe('translateError', () => {
  it('turns a 404 into RuntimeNotFoundError with the engine message', () => {
    const err = translateError({ statusCode: 404, json: { message: 'No such container: x' }, message: 'HTTP 404' }, 'start container x');
    expect(err).toBeInstanceOf(RuntimeNotFoundError);
    expect(err.message).toBe('start container x: No such container: x');
  });

  it('turns other failures into RuntimeError, never the raw library error', () => {
    const raw = { statusCode: 409, json: { message: 'Conflict. The container name is already in use' } };
    const err = translateError(raw, 'create container x');
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).not.toBeInstanceOf(RuntimeNotFoundError);
    expect(err.message).toMatch(/already in use/);
    expect(err.cause).toBe(raw);
    const down = translateError(Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }), 'ping');
    expect(down.message).toMatch(/engine unreachable/);
  });

  it('turns a socket that is missing, refused or cut into RuntimeUnavailableError', () => {
    for (const e of [
      Object.assign(new Error('connect ENOENT /tmp/x.sock'), { code: 'ENOENT' }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      new Error('socket hang up'),
    ]) {
      expect(translateError(e, 'inspect container x')).toBeInstanceOf(RuntimeUnavailableError);
    }
    // An answer from the engine, however bad, means it is there.
    expect(translateError({ statusCode: 500, json: { message: 'boom' } }, 'x')).not.toBeInstanceOf(RuntimeUnavailableError);
  });

  it('passes runtime errors through unchanged', () => {
    const e = new RuntimeNotFoundError('gone');
    expect(translateError(e, 'x')).toBe(e);
  });
});

describe('containerStartFailure', () => {
  const runc = (tail: string) => `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${tail}: unknown`;
  const internals = /runc|OCI|shim|overlay|task|unknown/;

  it('names the program and what is wrong with it, and calls that permanent', () => {
    const notFound = containerStartFailure(runc('exec: "train": executable file not found in $PATH'));
    expect(notFound).toEqual({ reason: 'the program "train" is not on the image\'s PATH (check the command, entrypoint or ContainerEntrypoint)', permanent: true });
    expect(containerStartFailure(runc('exec: "/opt/program/serve": permission denied')).reason).toMatch(/^the program "\/opt\/program\/serve" is not executable/);
    expect(containerStartFailure(runc('exec: "/opt/program/train": no such file or directory')).reason).toMatch(/#! line/);
    expect(containerStartFailure(runc('exec: "/bin/x": exec format error')).permanent).toBe(true);
    for (const r of [notFound.reason]) expect(r).not.toMatch(internals);
  });

  it('says what to install when the engine has no GPU driver, and calls that permanent', () => {
    const r = containerStartFailure('could not select device driver "" with capabilities: [[gpu]]');
    expect(r).toEqual({ reason: expect.stringMatching(/^it needs GPUs and the Docker engine has no GPU driver \(install the NVIDIA Container Toolkit/), permanent: true });
  });

  it('gives the engine’s other refusals a generic reason without its text, to be retried', () => {
    const mount = containerStartFailure(
      runc('error during container init: error mounting "/tmp/h/inputs/code" to rootfs at "/opt/ml/processing/input/code": mkdir /var/lib/docker/overlay2/x/merged/opt/ml/processing/input/code: read-only file system'),
    );
    expect(mount).toEqual({ reason: 'a data directory could not be mounted at /opt/ml/processing/input/code', permanent: false });
    const other = containerStartFailure('driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:1 failed: port is already allocated');
    expect(other).toEqual({ reason: 'the container engine refused to start it', permanent: false });
  });
});
