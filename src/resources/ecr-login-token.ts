/**
 * @module resources/ecr-login-token — the password GetAuthorizationToken hands out and the registry
 * proxy checks (`docker login -u AWS -p <password>`, what `aws ecr get-login-password` prints).
 *
 *   password = base64url({"k": access key id, "e": expiry, epoch s}) "." base64url(HMAC-SHA256(K, payload))
 *   K        = HMAC-SHA256(secret access key of k, "slipway/ecr-login/v1")
 *
 * Nothing is stored: a token is valid while its key is configured with the same secret and its
 * expiry (12 hours after issue, as ECR's: https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html)
 * has not passed. Removing or rotating a key revokes its tokens. Slipway's own pulls (the engine
 * fetching a pushed image) use a per-process key under the reserved id below.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** ECR authorization tokens are valid for 12 hours. */
export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** The access key id of tokens Slipway issues to itself (never a configured key: ids are [A-Z0-9]). */
const INTERNAL_KEY_ID = '~slipway';

export type TokenVerdict = { ok: true; accessKeyId: string } | { ok: false; reason: 'invalid' | 'expired' };

export class LoginTokens {
  private readonly internalSecret = randomBytes(32).toString('hex');

  /**
   * `credentials`: access key id → secret when authentication is on; undefined when it is off
   * (tokens are then still issued, signed with the process's own key, and any password passes).
   */
  constructor(private readonly credentials: ReadonlyMap<string, string> | undefined) {}

  get required(): boolean {
    return this.credentials !== undefined;
  }

  /** A password for `accessKeyId` (the verified caller; with auth off whatever it sent) and its expiry. */
  issue(accessKeyId: string | undefined, now: number): { password: string; expiresAt: number } {
    const expiresAt = now + TOKEN_LIFETIME_MS;
    const secret = accessKeyId !== undefined ? this.credentials?.get(accessKeyId) : undefined;
    const k = secret !== undefined ? accessKeyId! : INTERNAL_KEY_ID;
    return { password: this.sign(k, secret ?? this.internalSecret, Math.floor(expiresAt / 1000)), expiresAt };
  }

  /** A short-lived password for Slipway's own pulls through its registry. */
  issueInternal(now: number, lifetimeMs = 10 * 60 * 1000): string {
    return this.sign(INTERNAL_KEY_ID, this.internalSecret, Math.floor((now + lifetimeMs) / 1000));
  }

  verify(password: string, now: number): TokenVerdict {
    const dot = password.indexOf('.');
    if (dot <= 0 || password.length > 4096) return { ok: false, reason: 'invalid' };
    const payload = password.slice(0, dot);
    let claims: { k?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k?: unknown; e?: unknown };
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (typeof claims.k !== 'string' || typeof claims.e !== 'number') return { ok: false, reason: 'invalid' };
    const secret = claims.k === INTERNAL_KEY_ID ? this.internalSecret : this.credentials?.get(claims.k);
    if (secret === undefined) return { ok: false, reason: 'invalid' };
    const expected = Buffer.from(this.mac(secret, payload));
    const given = Buffer.from(password.slice(dot + 1));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
    if (claims.e * 1000 <= now) return { ok: false, reason: 'expired' };
    return { ok: true, accessKeyId: claims.k };
  }

  private sign(k: string, secret: string, expiresAtSeconds: number): string {
    const payload = Buffer.from(JSON.stringify({ k, e: expiresAtSeconds })).toString('base64url');
    return `${payload}.${this.mac(secret, payload)}`;
  }

  private mac(secret: string, payload: string): string {
    const key = createHmac('sha256', secret).update('slipway/ecr-login/v1').digest();
    return createHmac('sha256', key).update(payload).digest('base64url');
  }
}
