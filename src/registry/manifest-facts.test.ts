import { describe, expect, it } from 'vitest';
import { manifestFacts } from './manifest-facts.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('manifestFacts', () => {
  it('sums config and layer sizes of an image manifest and names its config type', () => {
    const facts = manifestFacts(
      json({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 100, digest: 'sha256:c' },
        layers: [{ size: 1000 }, { size: 24 }],
      }),
      undefined,
    );
    expect(facts).toEqual({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      artifactMediaType: 'application/vnd.docker.container.image.v1+json',
      sizeBytes: 1124,
      children: [],
      isIndex: false,
    });
  });

  it('takes the media type from Content-Type when the manifest has none (OCI manifests may omit it)', () => {
    const facts = manifestFacts(json({ schemaVersion: 2, config: { size: 1 }, layers: [] }), 'application/vnd.oci.image.manifest.v1+json; charset=utf-8');
    expect(facts?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  it('lists the children of an image index', () => {
    const facts = manifestFacts(json({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ digest: 'sha256:a' }, { digest: 'sha256:b' }] }), undefined);
    expect(facts).toMatchObject({ isIndex: true, children: ['sha256:a', 'sha256:b'] });
  });

  it('ignores sizes that are not positive numbers', () => {
    expect(manifestFacts(json({ config: { size: -5 }, layers: [{ size: '9' }, { size: 3 }] }), undefined)?.sizeBytes).toBe(3);
  });

  it('refuses what is not a JSON object', () => {
    expect(manifestFacts(Buffer.from('not json'), undefined)).toBeUndefined();
    expect(manifestFacts(Buffer.from('[1]'), undefined)).toBeUndefined();
    expect(manifestFacts(Buffer.from('null'), undefined)).toBeUndefined();
  });
});
