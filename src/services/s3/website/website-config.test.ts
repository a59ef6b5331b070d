import { describe, expect, it } from 'vitest';
import { parseWebsiteAddress, websiteBucketFromHost } from './website-address.js';
import { matchRule, redirectAll, ruleRedirect } from './routing-rules.js';
import { parseWebsiteConfig } from './website-config.js';

const doc = (inner: string) => `<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</WebsiteConfiguration>`;

function error(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('parseWebsiteConfig', () => {
  it('reads index and error documents and routing rules', () => {
    const c = parseWebsiteConfig(
      doc(
        '<IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>error.html</Key></ErrorDocument>' +
          '<RoutingRules><RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition>' +
          '<Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith></Redirect></RoutingRule>' +
          '<RoutingRule><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition>' +
          '<Redirect><HostName>example.com</HostName><Protocol>https</Protocol><HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule></RoutingRules>',
      ),
    );
    expect(c).toEqual({
      indexSuffix: 'index.html',
      errorKey: 'error.html',
      routingRules: [
        { condition: { keyPrefixEquals: 'docs/' }, redirect: { replaceKeyPrefixWith: 'documents/' } },
        { condition: { httpErrorCodeReturnedEquals: '404' }, redirect: { hostName: 'example.com', protocol: 'https', httpRedirectCode: '302' } },
      ],
    });
  });

  it.each([
    ['<ErrorDocument><Key>e.html</Key></ErrorDocument>', 'InvalidArgument: A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty'],
    ['<IndexDocument><Suffix></Suffix></IndexDocument>', 'InvalidArgument: The IndexDocument Suffix is not well formed'],
    ['<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>', 'InvalidArgument: The IndexDocument Suffix is not well formed'],
    [
      '<RedirectAllRequestsTo><HostName>x.com</HostName></RedirectAllRequestsTo><IndexDocument><Suffix>i.html</Suffix></IndexDocument>',
      'InvalidRequest: RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.',
    ],
    ['<RedirectAllRequestsTo><HostName>x.com</HostName><Protocol>ftp</Protocol></RedirectAllRequestsTo>', 'InvalidArgument: Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.'],
    [
      '<IndexDocument><Suffix>i.html</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><HttpRedirectCode>200</HttpRedirectCode></Redirect></RoutingRule></RoutingRules>',
      'InvalidArgument: The provided HTTP redirect code (200) is not valid. Valid codes are 3XX except 300.',
    ],
    [
      '<IndexDocument><Suffix>i.html</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b</ReplaceKeyPrefixWith></Redirect></RoutingRule></RoutingRules>',
      'InvalidRequest: You can only define ReplaceKeyPrefix or ReplaceKey but not both.',
    ],
    ['<IndexDocument><Suffix>i.html</Suffix></IndexDocument><RoutingRules><RoutingRule></RoutingRule></RoutingRules>', 'MalformedXML: The XML you provided was not well-formed or did not validate against our published schema'],
  ])('refuses %s', (inner, expected) => {
    expect(error(() => parseWebsiteConfig(doc(inner)))).toBe(expected);
  });

  it('refuses a document that is not a WebsiteConfiguration', () => {
    expect(error(() => parseWebsiteConfig('<CORSConfiguration/>'))).toMatch(/^MalformedXML/);
    expect(error(() => parseWebsiteConfig('not xml <'))).toMatch(/^MalformedXML/);
  });
});

describe('routing rules', () => {
  const config = parseWebsiteConfig(
    doc(
      '<IndexDocument><Suffix>index.html</Suffix></IndexDocument><RoutingRules>' +
        '<RoutingRule><Condition><KeyPrefixEquals>old/</KeyPrefixEquals></Condition><Redirect><ReplaceKeyPrefixWith>new/</ReplaceKeyPrefixWith></Redirect></RoutingRule>' +
        '<RoutingRule><Condition><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><ReplaceKeyWith>missing.html</ReplaceKeyWith><HttpRedirectCode>302</HttpRedirectCode></Redirect></RoutingRule>' +
        '</RoutingRules>',
    ),
  );

  it('redirects by prefix before the lookup and by error code after it', () => {
    const byPrefix = matchRule(config, 'old/a b.html');
    expect(byPrefix && ruleRedirect(byPrefix, 'old/a b.html', '')).toEqual({ status: 301, location: '/new/a%20b.html' });
    expect(matchRule(config, 'other.html')).toBeUndefined();
    const byError = matchRule(config, 'other.html', 404);
    expect(byError && ruleRedirect(byError, 'other.html', '/_slipway/website/site')).toEqual({ status: 302, location: '/_slipway/website/site/missing.html' });
    expect(matchRule(config, 'other.html', 403)).toBeUndefined();
  });

  it('sends every request elsewhere with RedirectAllRequestsTo', () => {
    const all = parseWebsiteConfig(doc('<RedirectAllRequestsTo><HostName>example.com</HostName><Protocol>https</Protocol></RedirectAllRequestsTo>'));
    expect(redirectAll(all, 'a/b.html')).toEqual({ status: 301, location: 'https://example.com/a/b.html' });
    expect(redirectAll(config, 'a')).toBeUndefined();
  });
});

describe('website addresses', () => {
  it('finds the bucket in a website Host', () => {
    expect(websiteBucketFromHost('my-site.s3-website.localhost:7447')).toBe('my-site');
    expect(websiteBucketFromHost('a.b.s3-website-us-east-1.amazonaws.com')).toBe('a.b');
    expect(websiteBucketFromHost('my-site.s3-website.eu-west-1.localhost')).toBe('my-site');
    expect(websiteBucketFromHost('my-site.localhost:7447')).toBeUndefined();
    expect(websiteBucketFromHost('127.0.0.1:7447')).toBeUndefined();
  });

  it('parses the virtual-host and path forms', () => {
    expect(parseWebsiteAddress('/docs/a%20b.html?x=1', 'site.s3-website.localhost')).toEqual({ bucket: 'site', path: 'docs/a b.html', base: '', pathForm: false });
    expect(parseWebsiteAddress('/_slipway/website/site/', '127.0.0.1')).toEqual({ bucket: 'site', path: '', base: '/_slipway/website/site', pathForm: true });
    expect(parseWebsiteAddress('/_slipway/website/site', '127.0.0.1')).toMatchObject({ bucket: 'site', path: '' });
    expect(parseWebsiteAddress('/_slipway/website/', '127.0.0.1')).toBeUndefined();
    expect(parseWebsiteAddress('/bad%zz', 'site.s3-website.localhost')).toBeUndefined();
  });
});
