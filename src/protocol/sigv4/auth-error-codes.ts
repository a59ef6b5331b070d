/**
 * @module protocol/sigv4/auth-error-codes — the error codes server/authenticate.ts answers (403)
 * when a request's signature is missing, names an unknown key or does not verify, in each
 * protocol family's spelling. Clients (the CLI, the browser console) read them to ask for a key.
 * Clock skew (`RequestTimeTooSkewed`, "Signature expired") is not here: a key does not fix it.
 */
export const AUTH_ERROR_CODES: ReadonlySet<string> = new Set([
  // JSON and REST-JSON services (SageMaker, Logs, Runtime, /_slipway)
  'MissingAuthenticationTokenException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  // query-compatible services (CloudWatch, STS)
  'MissingAuthenticationToken',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  // S3 (also SignatureDoesNotMatch); AccessDenied: unsigned or expired presigned
  'InvalidAccessKeyId',
  'AccessDenied',
]);
