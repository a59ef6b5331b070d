/**
 * @module services/s3/website/website-config — Put/Get/DeleteBucketWebsite: parses and validates
 * the WebsiteConfiguration document with S3's errors, stores it as JSON, renders it back.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketWebsite.html
 */
import { NoSuchBucket, S3Errors } from '../../../protocol/rest-xml/s3-errors.js';
import { parseXml, readSmallBody, type XmlValue } from '../../../protocol/rest-xml/xml.js';
import type { S3Backend } from '../../../storage/s3-backend.js';
import { sendEmpty, sendXml, type BucketCall } from '../call.js';

export interface RoutingRule {
  condition?: { keyPrefixEquals?: string; httpErrorCodeReturnedEquals?: string };
  redirect: { hostName?: string; httpRedirectCode?: string; protocol?: string; replaceKeyPrefixWith?: string; replaceKeyWith?: string };
}

export interface WebsiteConfig {
  indexSuffix?: string;
  errorKey?: string;
  redirectAll?: { hostName: string; protocol?: string };
  routingRules: RoutingRule[];
}

/** S3's limit on routing rules in one configuration. */
const MAX_RULES = 50;

type Node = Record<string, unknown>;

function node(v: unknown): Node | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined;
}

/** A leaf's text (fast-xml-parser gives strings, or '' for an empty element); undefined when absent. */
function text(n: Node | undefined, name: string): string | undefined {
  const v = n?.[name];
  if (v === undefined) return undefined;
  if (typeof v === 'object') throw S3Errors.malformedXml();
  return String(v);
}

function checkProtocol(p: string | undefined): void {
  if (p !== undefined && p !== 'http' && p !== 'https') {
    throw S3Errors.invalidArgument('Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.', 'Protocol', p);
  }
}

function rule(raw: unknown): RoutingRule {
  const r = node(raw);
  const redirect = node(r?.['Redirect']);
  if (!r || !redirect) throw S3Errors.malformedXml();
  const cond = node(r['Condition']);
  const out: RoutingRule = { redirect: {} };
  if (cond) {
    const prefix = text(cond, 'KeyPrefixEquals');
    const code = text(cond, 'HttpErrorCodeReturnedEquals');
    if (prefix === undefined && code === undefined) {
      throw S3Errors.invalidArgument('Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn\'t be present.', 'Condition', '');
    }
    if (code !== undefined && !/^[45]\d\d$/.test(code)) {
      throw S3Errors.invalidArgument(`The provided HTTP error code (${code}) is not valid. Valid codes are 4XX or 5XX.`, 'HttpErrorCodeReturnedEquals', code);
    }
    out.condition = { ...(prefix !== undefined ? { keyPrefixEquals: prefix } : {}), ...(code !== undefined ? { httpErrorCodeReturnedEquals: code } : {}) };
  }
  const d = out.redirect;
  for (const [xml, key] of [
    ['HostName', 'hostName'],
    ['HttpRedirectCode', 'httpRedirectCode'],
    ['Protocol', 'protocol'],
    ['ReplaceKeyPrefixWith', 'replaceKeyPrefixWith'],
    ['ReplaceKeyWith', 'replaceKeyWith'],
  ] as const) {
    const v = text(redirect, xml);
    if (v !== undefined) d[key] = v;
  }
  if (d.replaceKeyPrefixWith !== undefined && d.replaceKeyWith !== undefined) {
    throw S3Errors.invalidRequest('You can only define ReplaceKeyPrefix or ReplaceKey but not both.');
  }
  if (d.httpRedirectCode !== undefined && (!/^3\d\d$/.test(d.httpRedirectCode) || d.httpRedirectCode === '300')) {
    throw S3Errors.invalidArgument(`The provided HTTP redirect code (${d.httpRedirectCode}) is not valid. Valid codes are 3XX except 300.`, 'HttpRedirectCode', d.httpRedirectCode);
  }
  checkProtocol(d.protocol);
  return out;
}

/** The WebsiteConfiguration document → WebsiteConfig; S3's MalformedXML / InvalidArgument otherwise. */
export function parseWebsiteConfig(body: Buffer | string): WebsiteConfig {
  const doc = node(parseXml(body)['WebsiteConfiguration']);
  if (!doc) throw S3Errors.malformedXml();
  const index = node(doc['IndexDocument']);
  const error = node(doc['ErrorDocument']);
  const all = node(doc['RedirectAllRequestsTo']);
  const rawRules = node(doc['RoutingRules'])?.['RoutingRule'];
  const rules = (Array.isArray(rawRules) ? rawRules : rawRules === undefined ? [] : [rawRules]).map(rule);
  if (rules.length > MAX_RULES) throw S3Errors.invalidRequest(`The number of routing rules must not exceed allowed limit of ${MAX_RULES} rules`);
  if (all) {
    if (index || error || rules.length) {
      throw S3Errors.invalidRequest('RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.');
    }
    const hostName = text(all, 'HostName');
    if (!hostName) throw S3Errors.invalidArgument('RedirectAllRequestsTo HostName is required.', 'HostName', '');
    const protocol = text(all, 'Protocol');
    checkProtocol(protocol);
    return { redirectAll: { hostName, ...(protocol ? { protocol } : {}) }, routingRules: [] };
  }
  if (!index) throw S3Errors.invalidArgument('A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty', 'IndexDocument', '');
  const suffix = text(index, 'Suffix');
  if (!suffix || suffix.includes('/')) throw S3Errors.invalidArgument('The IndexDocument Suffix is not well formed', 'IndexDocument', suffix ?? '');
  const out: WebsiteConfig = { indexSuffix: suffix, routingRules: rules };
  if (error) {
    const key = text(error, 'Key');
    if (!key) throw S3Errors.invalidArgument('The ErrorDocument Key is not well formed', 'ErrorDocument', key ?? '');
    out.errorKey = key;
  }
  return out;
}

export async function putBucketWebsite(call: BucketCall): Promise<void> {
  const config = parseWebsiteConfig(await readSmallBody(call.req, 64 * 1024));
  await call.store.setBucketDocument(call.bucket, 'website', JSON.stringify(config));
  sendEmpty(call, 200);
}

export async function loadWebsiteConfig(store: S3Backend, bucket: string): Promise<WebsiteConfig | undefined> {
  const text = await store.getBucketDocument(bucket, 'website');
  return text === undefined ? undefined : (JSON.parse(text) as WebsiteConfig);
}

export async function getBucketWebsite(call: BucketCall): Promise<void> {
  const c = await loadWebsiteConfig(call.store, call.bucket);
  if (!c) throw S3Errors.noSuchConfiguration('NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration', call.bucket);
  const body: Record<string, XmlValue> = {};
  if (c.redirectAll) body['RedirectAllRequestsTo'] = { HostName: c.redirectAll.hostName, Protocol: c.redirectAll.protocol };
  if (c.indexSuffix !== undefined) body['IndexDocument'] = { Suffix: c.indexSuffix };
  if (c.errorKey !== undefined) body['ErrorDocument'] = { Key: c.errorKey };
  if (c.routingRules.length) {
    body['RoutingRules'] = {
      RoutingRule: c.routingRules.map((r) => ({
        Condition: r.condition && { KeyPrefixEquals: r.condition.keyPrefixEquals, HttpErrorCodeReturnedEquals: r.condition.httpErrorCodeReturnedEquals },
        Redirect: {
          HostName: r.redirect.hostName,
          HttpRedirectCode: r.redirect.httpRedirectCode,
          Protocol: r.redirect.protocol,
          ReplaceKeyPrefixWith: r.redirect.replaceKeyPrefixWith,
          ReplaceKeyWith: r.redirect.replaceKeyWith,
        },
      })),
    };
  }
  sendXml(call, 200, 'WebsiteConfiguration', body);
}

export async function deleteBucketWebsite(call: BucketCall): Promise<void> {
  if (!(await call.store.bucketExists(call.bucket))) throw new NoSuchBucket(call.bucket);
  await call.store.setBucketDocument(call.bucket, 'website', undefined);
  sendEmpty(call, 204);
}
