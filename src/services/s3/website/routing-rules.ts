/**
 * @module services/s3/website/routing-rules — redirects of a website configuration: the bucket-wide
 * RedirectAllRequestsTo and RoutingRules matched by key prefix and/or the error code the request
 * would return. The first matching rule wins.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-page-redirect.html
 */
import type { RoutingRule, WebsiteConfig } from './website-config.js';

export interface Redirect {
  status: number;
  location: string;
}

/** Encodes a key for a Location header, keeping its slashes. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * The rule for `key` before the object is looked up (`errorCode` undefined: rules without an
 * error-code condition) or after it failed with `errorCode` (rules whose code matches).
 */
export function matchRule(config: WebsiteConfig, key: string, errorCode?: number): RoutingRule | undefined {
  return config.routingRules.find((r) => {
    const c = r.condition;
    if (c?.keyPrefixEquals !== undefined && !key.startsWith(c.keyPrefixEquals)) return false;
    if (errorCode === undefined) return c?.httpErrorCodeReturnedEquals === undefined;
    return c?.httpErrorCodeReturnedEquals === String(errorCode);
  });
}

/**
 * Where a rule sends `key`. Without HostName the redirect stays on this site (`localBase` is the
 * site's address: '' on a virtual host, `/_slipway/website/<bucket>` in path form).
 */
export function ruleRedirect(rule: RoutingRule, key: string, localBase: string): Redirect {
  const d = rule.redirect;
  let target = key;
  if (d.replaceKeyWith !== undefined) target = d.replaceKeyWith;
  else if (d.replaceKeyPrefixWith !== undefined) target = d.replaceKeyPrefixWith + key.slice(rule.condition?.keyPrefixEquals?.length ?? 0);
  const status = Number(d.httpRedirectCode ?? 301);
  const path = `/${keyPath(target)}`;
  if (d.hostName === undefined) return { status, location: `${localBase}${path}` };
  return { status, location: `${d.protocol ?? 'http'}://${d.hostName}${path}` };
}

export function redirectAll(config: WebsiteConfig, path: string): Redirect | undefined {
  const r = config.redirectAll;
  if (!r) return undefined;
  return { status: 301, location: `${r.protocol ?? 'http'}://${r.hostName}/${keyPath(path)}` };
}
