/**
 * @module runtime/image-ref — which local image references stand for a user's image reference.
 *
 * Users copy their SageMaker requests unchanged, so `Image` is usually an ECR URI such as
 * `123456789012.dkr.ecr.us-east-1.amazonaws.com/my-algo:latest`. There is no registry here: the
 * image must already exist locally, either under that exact name or as the bare `my-algo:latest`.
 */

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/` — the registry part of an ECR image URI. */
const ECR_REGISTRY = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\//;

/**
 * References to look up locally, most specific first, without duplicates.
 *
 * - the reference as given;
 * - for an ECR-style reference, the same repository without the registry (`repo:tag`, `repo@sha256:…`);
 * - for a reference without tag or digest, each of the above with `:latest` (what Docker assumes).
 *
 * @example
 * localImageCandidates('123456789012.dkr.ecr.us-east-1.amazonaws.com/algo')
 * // → ['123456789012.dkr.ecr.us-east-1.amazonaws.com/algo',
 * //    '123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:latest', 'algo', 'algo:latest']
 */
export function localImageCandidates(ref: string): string[] {
  const given = ref.trim();
  if (given === '') return [];
  const bases = [given];
  const ecr = ECR_REGISTRY.exec(given);
  if (ecr) {
    const rest = given.slice(ecr[0].length);
    if (rest !== '') bases.push(rest);
  }
  const out: string[] = [];
  for (const base of bases) {
    out.push(base);
    if (!hasTagOrDigest(base)) out.push(`${base}:latest`);
  }
  return [...new Set(out)];
}

/** True when the reference names a tag or digest (a `:` after the last `/`, or an `@`). */
export function hasTagOrDigest(ref: string): boolean {
  if (ref.includes('@')) return true;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':');
}

/**
 * Cheap syntax check before asking the engine: only the characters a Docker reference can hold
 * (https://github.com/distribution/reference grammar), no whitespace, starting with an
 * alphanumeric. The engine still has the last word; this only keeps junk out of request paths.
 */
export function isPlausibleImageRef(ref: string): boolean {
  return ref.length > 0 && ref.length <= 1024 && /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(ref);
}

/**
 * How to get a missing image: an ECR-style reference (or one with a registry host) is pushed to
 * Slipway's registry (src/registry) or built locally under its bare name; any other is built.
 *
 * @example
 * missingImageHint('123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1')
 * // → { where: "in Slipway's registry or on this host",
 * //     remedy: 'Push it (docker push 123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1) or build it locally (docker build -t algo:1 .) and try again.' }
 */
export function missingImageHint(ref: string): { where: string; remedy: string } {
  const given = ref.trim();
  const ecr = ECR_REGISTRY.exec(given);
  const slash = given.indexOf('/');
  const first = slash > 0 ? given.slice(0, slash) : '';
  const hasRegistry = ecr !== null || first.includes(':') || first.includes('.') || first === 'localhost';
  if (!hasRegistry) return { where: 'on this host', remedy: `Build or tag it locally (docker build -t ${given} .) and try again.` };
  const bare = given.slice(slash + 1);
  return { where: "in Slipway's registry or on this host", remedy: `Push it (docker push ${given}) or build it locally (docker build -t ${bare} .) and try again.` };
}

/**
 * The one "image not found" message: `The image '<ref>' <whose> was not found <where>. <remedy>`,
 * e.g. whose = "for production variant AllTraffic" or "of the model"; jobs name none.
 */
export function missingImageMessage(ref: string, whose?: string): string {
  const hint = missingImageHint(ref);
  return `The image '${ref}'${whose ? ` ${whose}` : ''} was not found ${hint.where}. ${hint.remedy}`;
}

/**
 * Why a local image cannot run on a cluster, and what to do: nodes `lacking` it (by name) and the
 * registry (`host:port`) every node pulls Slipway's images from, when known.
 *
 * @example
 * imageOnlyOnManagerMessage('algo:1', ['n1', 'n2'], '10.0.0.5:7447')
 * // → "The image 'algo:1' is only in the Swarm manager's engine, not on every node (not found on:
 * //    n1, n2), so another node would run a different image of that name or none. Push it to
 * //    10.0.0.5:7447/algo (docker tag algo:1 10.0.0.5:7447/algo:1 && docker push 10.0.0.5:7447/algo:1)
 * //    so every node can pull it, and name that URI."
 */
export function imageOnlyOnManagerMessage(ref: string, lacking: readonly string[], registry?: string): string {
  const given = ref.trim();
  const ecr = ECR_REGISTRY.exec(given);
  let rest = ecr ? given.slice(ecr[0].length) : given;
  const slash = rest.indexOf('/');
  const first = slash > 0 ? rest.slice(0, slash) : '';
  if (first.includes('.') || first.includes(':') || first === 'localhost') rest = rest.slice(slash + 1);
  rest = rest.replace(/@.*$/, '');
  const colon = rest.lastIndexOf(':');
  const [repo, tag] = colon > rest.lastIndexOf('/') ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, 'latest'];
  const where = registry
    ? `Push it to ${registry}/${repo} (docker tag ${given} ${registry}/${repo}:${tag} && docker push ${registry}/${repo}:${tag})`
    : `Push it to Slipway's registry (an ECR repository ${repo}; docker push <registry>/${repo}:${tag})`;
  return `The image '${given}' is only in the Swarm manager's engine, not on every node (not found on: ${lacking.join(', ')}), so another node would run a different image of that name or none. ${where} so every node can pull it, and name that URI.`;
}
