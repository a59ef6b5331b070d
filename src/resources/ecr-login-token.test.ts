import { describe, expect, it } from 'vitest';
import { LoginTokens, TOKEN_LIFETIME_MS } from './ecr-login-token.js';

const T0 = Date.UTC(2026, 11, 6);

describe('LoginTokens', () => {
  const creds = new Map([
    ['AKIDTEAM', 'secret-1'],
    ['AKIDOTHER', 'secret-2'],
  ]);

  it('accepts its own token until it expires 12 hours later', () => {
    const tokens = new LoginTokens(creds);
    const { password, expiresAt } = tokens.issue('AKIDTEAM', T0);
    expect(expiresAt).toBe(T0 + TOKEN_LIFETIME_MS);
    expect(tokens.verify(password, T0 + 1000)).toEqual({ ok: true, accessKeyId: 'AKIDTEAM' });
    expect(tokens.verify(password, expiresAt - 1000)).toEqual({ ok: true, accessKeyId: 'AKIDTEAM' });
    expect(tokens.verify(password, expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('survives a restart (nothing is stored) and dies with its key', () => {
    const { password } = new LoginTokens(creds).issue('AKIDTEAM', T0);
    expect(new LoginTokens(creds).verify(password, T0).ok).toBe(true);
    expect(new LoginTokens(new Map([['AKIDTEAM', 'rotated']])).verify(password, T0)).toEqual({ ok: false, reason: 'invalid' });
    expect(new LoginTokens(new Map([['AKIDOTHER', 'secret-2']])).verify(password, T0)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a token whose claims were edited', () => {
    const tokens = new LoginTokens(creds);
    const { password } = tokens.issue('AKIDTEAM', T0);
    const [payload, mac] = password.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { k: string; e: number };
    const later = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 86400 })).toString('base64url');
    expect(tokens.verify(`${later}.${mac}`, T0)).toEqual({ ok: false, reason: 'invalid' });
    const other = Buffer.from(JSON.stringify({ ...claims, k: 'AKIDOTHER' })).toString('base64url');
    expect(tokens.verify(`${other}.${mac}`, T0)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses garbage without throwing', () => {
    const tokens = new LoginTokens(creds);
    for (const junk of ['', '.', 'abc', 'a.b', `${'x'.repeat(5000)}.y`, `${Buffer.from('[]').toString('base64url')}.x`, `${Buffer.from('{"k":1,"e":"x"}').toString('base64url')}.x`]) {
      expect(tokens.verify(junk, T0)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it("signs Slipway's own pulls with a key no other process knows", () => {
    const tokens = new LoginTokens(creds);
    const internal = tokens.issueInternal(T0);
    expect(tokens.verify(internal, T0).ok).toBe(true);
    expect(new LoginTokens(creds).verify(internal, T0)).toEqual({ ok: false, reason: 'invalid' });
    expect(tokens.verify(internal, T0 + 11 * 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('is not required with authentication off, and an unknown caller gets a process-signed token', () => {
    const tokens = new LoginTokens(undefined);
    expect(tokens.required).toBe(false);
    expect(tokens.verify(tokens.issue('anything', T0).password, T0).ok).toBe(true);
  });
});
