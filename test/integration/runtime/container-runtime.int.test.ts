/**
 * @module test/integration/runtime/container-runtime.int.test — runs the ContainerRuntime
 * contract suite against every implementation (today: Docker).
 */
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { containerRuntimeContract } from './container-runtime-contract.js';
import { buildImage, ensureTestImage, removeImage, tagImage } from './test-image.js';

containerRuntimeContract(
  'DockerRuntime',
  () => new DockerRuntime(),
  () => ({ baseImage: ensureTestImage(), buildImage, tagImage, removeImage }),
);
