import { describe, expect, it } from 'vitest';
import { acceptsJsonContentType } from './json11-surface.js';

describe('JSON protocol Content-Type', () => {
  it("accepts the service's own x-amz-json version and application/json, parameters ignored", () => {
    expect(acceptsJsonContentType('application/x-amz-json-1.1', '1.1')).toBe(true);
    expect(acceptsJsonContentType('Application/X-Amz-Json-1.1 ; charset=UTF-8', '1.1')).toBe(true);
    expect(acceptsJsonContentType('application/json;blah', '1.1')).toBe(true);
    expect(acceptsJsonContentType('application/x-amz-json-1.0', '1.0')).toBe(true);
  });

  it('refuses anything else, the other JSON version included (as DynamoDB does)', () => {
    for (const ct of [undefined, '', 'text/plain', 'application/octet-stream', 'application/jsonasdf', 'application/x-amz-json-1.0']) {
      expect(acceptsJsonContentType(ct, '1.1'), String(ct)).toBe(false);
    }
    expect(acceptsJsonContentType('application/x-amz-json-1.1', '1.0')).toBe(false);
  });
});
