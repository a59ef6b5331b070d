/** @module protocol/sigv4/credential-scope — reads who signed a request and for which service. */
import type { IncomingHttpHeaders } from 'node:http';

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const AUTH_CREDENTIAL = /Credential=([^,\s]+)/;

/** `AKID/20260101/us-east-1/sagemaker/aws4_request` → its parts; undefined when malformed. */
export function parseCredential(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length < 5) return undefined;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  return { accessKeyId, date, region, service };
}

/**
 * Finds the credential scope in the `Authorization` header (signed requests) or the
 * `X-Amz-Credential` query parameter (presigned URLs). Slipway accepts any key for local use, so
 * this only routes; it never rejects.
 */
export function credentialScope(headers: IncomingHttpHeaders, query: URLSearchParams): CredentialScope | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256')) {
    const m = AUTH_CREDENTIAL.exec(auth);
    if (m?.[1]) return parseCredential(m[1]);
  }
  const q = query.get('X-Amz-Credential');
  return q ? parseCredential(q) : undefined;
}
