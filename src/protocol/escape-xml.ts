/** @module protocol/escape-xml — XML text escaping for every XML protocol (S3's REST-XML, the query protocol's responses and errors). */

/**
 * Escapes text content. CR and TAB are written as character references because XML parsers
 * normalise them otherwise, and keys must round-trip exactly.
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\r\t]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : `&#${c.charCodeAt(0)};`,
  );
}
