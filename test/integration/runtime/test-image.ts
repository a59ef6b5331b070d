/**
 * @module test/integration/runtime/test-image — the small local images the runtime contract
 * suite runs. No registry is reachable, so images come from `scripts/build-base-images`
 * (slipway-base/python:bookworm) or, on a machine where that has not run, from a minimal
 * debootstrap root filesystem with python3, imported as slipway-test/minbase:bookworm.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const BASE_IMAGE = 'slipway-base/python:bookworm';
export const FALLBACK_IMAGE = 'slipway-test/minbase:bookworm';

function imageExists(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

/**
 * An image with sh, coreutils, getent and python3. Builds the fallback (about a minute, cached
 * as a tarball) only when neither image exists; a file lock keeps parallel workers from racing.
 */
export function ensureTestImage(): string {
  if (imageExists(BASE_IMAGE)) return BASE_IMAGE;
  if (imageExists(FALLBACK_IMAGE)) return FALLBACK_IMAGE;
  const cache = `${process.env.SLIPWAY_CACHE ?? '/var/cache/slipway'}/test-images`;
  const script = `
    set -euo pipefail
    exec 9>/tmp/slipway-test-minbase.lock; flock 9
    docker image inspect ${FALLBACK_IMAGE} >/dev/null 2>&1 && exit 0
    mkdir -p "${cache}"
    tarball="${cache}/minbase-bookworm.tar"
    if [ ! -s "$tarball" ]; then
      command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q debootstrap
      rootfs="$(mktemp -d /tmp/slipway-minbase.XXXXXX)"
      debootstrap --variant=minbase --include=python3 bookworm "$rootfs" http://deb.debian.org/debian >&2
      tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
      rm -rf "$rootfs"
    fi
    docker import "$tarball" ${FALLBACK_IMAGE} >/dev/null
  `;
  execFileSync('bash', ['-c', script], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  return FALLBACK_IMAGE;
}

/** `docker build` from a Dockerfile given as text (no context); returns the tag. */
export function buildImage(dockerfile: string, tag: string): string {
  // Output is captured (the CLI warns about the legacy builder on every run) and shown on failure.
  const r = spawnSync('docker', ['build', '-q', '-t', tag, '-'], { input: dockerfile, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker build ${tag} failed: ${r.stderr || r.stdout}`);
  return tag;
}

export function tagImage(source: string, target: string): void {
  execFileSync('docker', ['tag', source, target], { stdio: 'inherit' });
}

/** Removes a tag (or image); missing is fine. */
export function removeImage(ref: string): void {
  spawnSync('docker', ['image', 'rm', ref], { stdio: 'ignore' });
}
