/**
 * GPUs per container on the real Docker engine (issue 16, item 5). This machine has no GPU, so
 * the containers are created (the engine records the device requests) and never get GPUs; what is
 * checked is what a GPU host relies on: each container asks the engine for its own devices, two
 * live containers never hold the same one, a removed container frees its devices, a second runtime
 * (a restarted Slipway) sees what the first handed out, and an engine without a GPU driver refuses
 * the start with a reason a person can act on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { ContainerStartError, type ContainerSpec } from '../../../src/runtime/container-runtime.js';
import { GPU_DEVICES_LABEL } from '../../../src/runtime/docker/gpu-devices.js';
import { ensureTestImage } from './test-image.js';

const docker = new Docker();
const run = randomBytes(4).toString('hex');
const LABEL = 'slipway-test.gpu-run';
let image: string;

beforeAll(() => {
  image = ensureTestImage();
});
afterAll(async () => {
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${run}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
});

// Device ids of this run only: holders are read from the whole engine, which other test files share.
const gpu = (i: number) => `GPU-${run}-${i}`;
let n = 0;
const spec = (gpus: number): ContainerSpec => ({ name: `slipway-gputest-${run}-${++n}`, image, cmd: ['true'], labels: { [LABEL]: run }, gpus });

async function devicesOf(id: string): Promise<{ ids: string[]; label: string; env: string[] }> {
  const i = await docker.getContainer(id).inspect();
  const req = i.HostConfig.DeviceRequests ?? [];
  expect(req).toHaveLength(1);
  expect(req[0]).toMatchObject({ Capabilities: [['gpu']] });
  return { ids: req[0]!.DeviceIDs ?? [], label: i.Config.Labels[GPU_DEVICES_LABEL] ?? '', env: i.Config.Env.filter((e) => e.startsWith('NVIDIA_VISIBLE_DEVICES=')) };
}

describe('GPUs on the Docker runtime', () => {
  it('gives each container devices no other live container holds, and frees them on removal', async () => {
    const offered = [gpu(0), gpu(1), gpu(2)];
    const rt = new DockerRuntime({ networkPool: false, gpuDevices: offered });
    // Asked at the same moment: the creations are serialised, so the picks never collide.
    const [a, b] = await Promise.all([rt.createContainer(spec(2)), rt.createContainer(spec(1))]);
    const [da, db] = [await devicesOf(a), await devicesOf(b)];
    expect([...da.ids, ...db.ids].sort()).toEqual(offered);
    expect(da.label).toBe(da.ids.join(','));
    expect(da.env).toEqual([`NVIDIA_VISIBLE_DEVICES=${da.ids.join(',')}`]);

    // All taken: refused for now (retried by the controllers), and nothing is created.
    const taken = await rt.createContainer(spec(1)).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ContainerStartError);
    expect(taken).toMatchObject({ permanent: false, reason: expect.stringMatching(/are held by other containers/) });
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${run}`] } })).toHaveLength(2);

    // A restarted Slipway reads the holders from the engine: still nothing free.
    const restarted = new DockerRuntime({ networkPool: false, gpuDevices: offered });
    await expect(restarted.createContainer(spec(1))).rejects.toBeInstanceOf(ContainerStartError);

    await rt.removeContainer(b, { force: true });
    const c = await restarted.createContainer(spec(1));
    expect((await devicesOf(c)).ids).toEqual(db.ids);
    await Promise.all([a, c].map((id) => rt.removeContainer(id, { force: true })));
  });

  it('refuses at once, with the setting to change, when the host offers fewer GPUs than asked', async () => {
    const none = await new DockerRuntime({ networkPool: false }).createContainer(spec(1)).catch((e: unknown) => e);
    expect(none).toMatchObject({ permanent: true, reason: expect.stringMatching(/offers Slipway none \(set SLIPWAY_GPUS .* SLIPWAY_GPU_FALLBACK=cpu/) });
    const few = await new DockerRuntime({ networkPool: false, gpuDevices: [gpu(5)] }).createContainer(spec(2)).catch((e: unknown) => e);
    expect(few).toMatchObject({ permanent: true, reason: expect.stringMatching(/needs 2 GPU\(s\) and this host offers Slipway 1/) });
  });

  it('reports an engine without a GPU driver as a permanent start failure that says what to install', async () => {
    const rt = new DockerRuntime({ networkPool: false, gpuDevices: [gpu(6)] });
    const id = await rt.createContainer(spec(1));
    const err = await rt.startContainer(id).catch((e: unknown) => e);
    // This machine's engine has no NVIDIA runtime, so the request really reached it and was refused.
    expect(err).toBeInstanceOf(ContainerStartError);
    expect(err).toMatchObject({ permanent: true, reason: expect.stringMatching(/no GPU driver \(install the NVIDIA Container Toolkit/) });
    await rt.removeContainer(id, { force: true });
  });
});
