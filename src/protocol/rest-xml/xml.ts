/**
 * @module protocol/rest-xml/xml — S3 XML documents: a small serializer for response bodies and a
 * parser for request bodies (DeleteObjects, CompleteMultipartUpload, CreateBucketConfiguration).
 */
import type { IncomingMessage } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { escapeXml } from '../escape-xml.js';
import { S3Errors } from './s3-errors.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A value to render: objects become child elements, arrays repeat the element, undefined is skipped. */
export type XmlValue = string | number | boolean | Date | undefined | null | XmlValue[] | { [name: string]: XmlValue };

/** S3 timestamps in XML: ISO 8601 with milliseconds, `2009-10-12T17:50:30.000Z`. */
export function xmlDate(d: Date): string {
  return d.toISOString();
}

function renderValue(name: string, v: XmlValue, out: string[]): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    for (const item of v) renderValue(name, item, out);
    return;
  }
  if (v instanceof Date) {
    out.push(`<${name}>${xmlDate(v)}</${name}>`);
    return;
  }
  if (typeof v === 'object') {
    out.push(`<${name}>`);
    for (const [k, child] of Object.entries(v)) renderValue(k, child, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(v))}</${name}>`);
}

/** `toXml('ListBucketResult', {...})` → a complete document with the S3 namespace on the root. */
export function toXml(root: string, body: { [name: string]: XmlValue }, xmlns: string | undefined = S3_XMLNS): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n', xmlns ? `<${root} xmlns="${xmlns}">` : `<${root}>`];
  for (const [k, v] of Object.entries(body)) renderValue(k, v, out);
  out.push(`</${root}>`);
  return out.join('');
}

const parser = new XMLParser({
  ignoreAttributes: true,
  // Character references (`&#x0A;`, `&#34;`) are XML and must be decoded: the JS SDK v3 writes
  // CR, LF and quotes in keys that way. (The option also decodes a few HTML names such as &nbsp;.)
  htmlEntities: true,
  // Keys like "007" must stay strings, and whitespace inside keys is significant.
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (name) => name === 'Object' || name === 'Part' || name === 'Tag',
});

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A document type declaration: S3's request documents have none, and its entities are an expansion risk. */
const DOCTYPE = /<!DOCTYPE/i;

/**
 * Parses a small XML request body; MalformedXML when it is not XML, not UTF-8 (bytes, not
 * U+FFFD: a key must not change on the way in) or declares a document type (entities would be
 * expanded; S3's documents never need one).
 */
export function parseXml(body: Buffer | string): Record<string, unknown> {
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    throw S3Errors.malformedXml();
  }
  if (DOCTYPE.test(text)) throw S3Errors.malformedXml();
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch {
    throw S3Errors.malformedXml();
  }
}

/** Reads a small request body completely (XML documents); bounded to refuse abuse. */
export async function readSmallBody(req: NodeJS.ReadableStream | IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw S3Errors.malformedXml();
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
