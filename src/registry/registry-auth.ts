/**
 * @module registry/registry-auth — who may use the registry: `docker login -u AWS` with the
 * password GetAuthorizationToken issued (resources/ecr-login-token.ts). With Slipway's
 * authentication off any request passes, as everywhere else.
 *
 * Answers as ECR does: no credentials → 401 with a Basic challenge (so Docker sends its stored
 * login); an expired token → 403 DENIED "Your authorization token has expired. Reauthenticate and
 * try again." (the text `docker push` prints after an ECR token's 12 hours).
 */
import type { IncomingMessage } from 'node:http';
import type { LoginTokens } from '../resources/ecr-login-token.js';
import { ociError } from '../protocol/oci/oci-errors.js';

export function checkRegistryAuth(req: IncomingMessage, tokens: LoginTokens, now: number): void {
  if (!tokens.required) return;
  const host = (req.headers.host ?? 'localhost').replace(/[^A-Za-z0-9.:[\]-]/g, '');
  const challenge = { 'WWW-Authenticate': `Basic realm="https://${host}/",service="ecr.amazonaws.com"` };
  const header = req.headers.authorization ?? '';
  if (!/^basic /i.test(header)) throw ociError('UNAUTHORIZED', 'authentication required', challenge);
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon >= 0 ? decoded.slice(0, colon) : '';
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  if (user !== 'AWS') throw ociError('UNAUTHORIZED', "Invalid login: the user name must be 'AWS' (use aws ecr get-login-password)", challenge);
  const verdict = tokens.verify(password, now);
  if (verdict.ok) return;
  if (verdict.reason === 'expired') throw ociError('DENIED', 'Your authorization token has expired. Reauthenticate and try again.');
  throw ociError('UNAUTHORIZED', 'Invalid authorization token (use aws ecr get-login-password)', challenge);
}
