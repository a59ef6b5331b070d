/**
 * @module registry/manifest-facts — what ECR reports about a pushed manifest: its media type,
 * the artifact (config) media type, and the image size, read from the manifest itself.
 *
 * Size: the sum of the config and layer sizes the manifest lists (the compressed size, as ECR's
 * DescribeImages reports it, smaller than what `docker images` shows); for an image index, the
 * largest of its manifests known in the repository ("If the image is a manifest list, this will
 * be the max size of all manifests in the list", ImageDetail in the API reference).
 */

export const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const INDEX_TYPES = new Set(['application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json']);

export interface ManifestFacts {
  mediaType: string;
  artifactMediaType?: string;
  /** Sizes of what the manifest references directly; for an index, its children's digests. */
  sizeBytes: number;
  children: string[];
  isIndex: boolean;
}

interface Descriptor {
  mediaType?: unknown;
  size?: unknown;
  digest?: unknown;
}

/** Undefined when the body is not a JSON object (the caller answers MANIFEST_INVALID). */
export function manifestFacts(body: Buffer, contentType: string | undefined): ManifestFacts | undefined {
  let m: { mediaType?: unknown; schemaVersion?: unknown; config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[]; artifactType?: unknown };
  try {
    m = JSON.parse(body.toString('utf8')) as typeof m;
  } catch {
    return undefined;
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const declared = typeof m.mediaType === 'string' ? m.mediaType : contentType?.split(';')[0]!.trim();
  const mediaType = declared || (m.schemaVersion === 1 ? SCHEMA1 : 'application/vnd.oci.image.manifest.v1+json');
  const size = (d: Descriptor | undefined) => (typeof d?.size === 'number' && Number.isFinite(d.size) && d.size > 0 ? d.size : 0);
  const isIndex = INDEX_TYPES.has(mediaType) || Array.isArray(m.manifests);
  if (isIndex) {
    const children = (Array.isArray(m.manifests) ? m.manifests : []).map((d) => d.digest).filter((d): d is string => typeof d === 'string');
    return { mediaType, sizeBytes: 0, children, isIndex: true };
  }
  const layers = Array.isArray(m.layers) ? m.layers : [];
  const artifact = typeof m.artifactType === 'string' ? m.artifactType : typeof m.config?.mediaType === 'string' ? m.config.mediaType : undefined;
  return {
    mediaType,
    ...(artifact ? { artifactMediaType: artifact } : {}),
    sizeBytes: size(m.config) + layers.reduce((n, l) => n + size(l), 0),
    children: [],
    isIndex: false,
  };
}
