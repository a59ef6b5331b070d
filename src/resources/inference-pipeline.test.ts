import { describe, expect, it } from 'vitest';
import { acceptsBindToPort, pipelineHostnames, pipelinePort, pipelineProblem, pipelineStages } from './inference-pipeline.js';
import { modelPipeline } from './model.js';

describe('pipelineProblem', () => {
  it('accepts unnamed Serial containers and named Direct ones', () => {
    expect(pipelineProblem([{}, {}], undefined)).toBeUndefined();
    expect(pipelineProblem([{ ContainerHostname: 'a' }, { ContainerHostname: 'b' }], 'Direct')).toBeUndefined();
    expect(pipelineProblem([{}], 'Direct')).toBeUndefined();
  });

  it('refuses more than 15 containers, an unknown mode, Direct without hostnames, hostnames on some only or twice, and MultiModel stages', () => {
    expect(pipelineProblem(Array.from({ length: 16 }, () => ({})), undefined)).toMatch(/at most 15/);
    expect(pipelineProblem([{}, {}], 'Parallel')).toMatch(/Serial or Direct/);
    expect(pipelineProblem([{ ContainerHostname: 'a' }, {}], 'Direct')).toMatch(/required for every container/);
    expect(pipelineProblem([{ ContainerHostname: 'a' }, { ContainerHostname: '' }], 'Serial')).toMatch(/or for none/);
    expect(pipelineProblem([{ ContainerHostname: 'a' }, { ContainerHostname: 'A' }], undefined)).toMatch(/more than one container/);
    expect(pipelineProblem([{ Mode: 'MultiModel' }, {}], undefined)).toMatch(/MultiModel/);
  });
});

describe('hostnames, ports and stages', () => {
  it('names unnamed containers container-1..N', () => {
    expect(pipelineHostnames([{}, {}, {}])).toEqual(['container-1', 'container-2', 'container-3']);
    expect(pipelineHostnames([{ ContainerHostname: 'x' }, { ContainerHostname: 'y' }])).toEqual(['x', 'y']);
  });

  it('gives labelled images their own SAGEMAKER_BIND_TO_PORT and safe range, and unlabelled ones 8080 and nothing', () => {
    expect(pipelinePort(2, true)).toEqual({ port: 8082, env: { SAGEMAKER_BIND_TO_PORT: '8082', SAGEMAKER_SAFE_PORT_RANGE: '9200-9299' } });
    expect(pipelinePort(2, false)).toEqual({ port: 8080, env: {} });
    expect(acceptsBindToPort({ 'com.amazonaws.sagemaker.capabilities.accept-bind-to-port': 'true' })).toBe(true);
    expect(acceptsBindToPort({})).toBe(false);
  });

  it('chains every container in Serial, takes the named one in Direct, and refuses a hostname where it does not belong', () => {
    expect(pipelineStages('Serial', ['a', 'b', 'c'], undefined)).toEqual({ stages: [0, 1, 2] });
    expect(pipelineStages('Direct', ['a', 'b', 'c'], 'b')).toEqual({ stages: [1] });
    expect(pipelineStages('Direct', ['a', 'b'], 'z')).toMatchObject({ problem: expect.stringMatching(/z is not a container/) });
    expect(pipelineStages('Direct', ['a', 'b'], undefined)).toMatchObject({ problem: expect.stringMatching(/direct invocation/) });
    expect(pipelineStages('Serial', ['a', 'b'], 'a')).toMatchObject({ problem: expect.stringMatching(/only be given/) });
    expect(pipelineStages(undefined, [], 'a')).toMatchObject({ problem: expect.stringMatching(/only be given/) });
  });

  it('plans a model with several Containers as a pipeline, and one with one container as none', () => {
    const doc = { ModelName: 'm', ModelArn: 'arn', CreationTime: 0 };
    expect(modelPipeline({ ...doc, Containers: [{ Image: 'a' }] })).toBeUndefined();
    expect(modelPipeline({ ...doc, InferenceExecutionConfig: { Mode: 'Direct' }, Containers: [{ Image: 'a', ContainerHostname: 'x', ModelDataUrl: 's3://b/k' }, { Image: 'b', ContainerHostname: 'y' }] })).toEqual({
      mode: 'Direct',
      containers: [
        { hostname: 'x', image: 'a', modelDataUrl: 's3://b/k', environment: {} },
        { hostname: 'y', image: 'b', environment: {} },
      ],
    });
  });
});
