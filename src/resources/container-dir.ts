/**
 * @module resources/container-dir — checks a directory a training job names inside its container
 * (`CheckpointConfig.LocalPath`, `TensorBoardOutputConfig.LocalPath`). Such a path only ever
 * becomes a mount target inside the container (a bind on one engine, a node-local volume on a
 * cluster), never a path on the machine; these checks refuse what would collide with SageMaker's
 * own mounts or could not be mounted, as a ValidationException at create time instead of a
 * container that fails to start.
 */

export const DEFAULT_CHECKPOINT_PATH = '/opt/ml/checkpoints';
export const DEFAULT_TENSORBOARD_PATH = '/opt/ml/output/tensorboard';

/** Where SageMaker's own folders are mounted: another mount exactly there would hide or duplicate them. */
const SAGEMAKER_DIRS = new Set(['/opt/ml', '/opt/ml/input', '/opt/ml/input/config', '/opt/ml/input/data', '/opt/ml/model', '/opt/ml/output']);
/** Kernel file systems the engine refuses to mount over. */
const SYSTEM_DIRS = ['/proc', '/sys', '/dev'];

/** Why `path` cannot be a job's directory in its container, or undefined when it can (a trailing `/` is allowed). */
export function containerDirProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  const clean = path.replace(/\/+$/, '');
  if (clean === '') return 'must not be the root directory';
  if (clean.split('/').slice(1).some((seg) => seg === '' || seg === '.' || seg === '..')) return 'must be a plain path (no empty, "." or ".." segments)';
  if (SAGEMAKER_DIRS.has(clean)) return `must not be ${clean}, where SageMaker's own files are mounted`;
  if (SYSTEM_DIRS.some((s) => clean === s || clean.startsWith(`${s}/`))) return `must not be under ${clean.split('/').slice(0, 2).join('/')}`;
  return undefined;
}

/** `path` without its trailing slashes (the form mounts and comparisons use). */
export function cleanContainerDir(path: string): string {
  return path.replace(/\/+$/, '');
}
