/**
 * @module console/components/sign-in — the key pair form shown when the server requires SigV4
 * (answers MissingAuthenticationToken, UnrecognizedClient, InvalidSignature, ...). It mounts its
 * own React root, so any API call can ask for it without the page layout knowing: see
 * `requestSignIn`, which api/client.ts calls and then retries the request signed.
 */
import { useEffect, useRef, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { getCredentials, setCredentials } from '../api/sign.js';

const REFUSED = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']);

function SignInDialog({ code, onDone }: { code: string; onDone: (ok: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const previous = getCredentials();
  const [accessKeyId, setAccessKeyId] = useState(previous?.accessKeyId ?? '');
  const [secretAccessKey, setSecretAccessKey] = useState('');
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal();
  }, []);
  const refused = previous !== null && REFUSED.has(code);
  return (
    <dialog ref={ref} className="dialog" aria-label="Sign in to Slipway" onCancel={() => onDone(false)}>
      <h2>Sign in to Slipway</h2>
      <p>
        {refused
          ? `The server refused the key ${previous.accessKeyId} (${code}). Enter a key pair it knows.`
          : 'This server requires signed requests. Enter an access key pair configured on it (SLIPWAY_ACCESS_KEY_ID or SLIPWAY_CREDENTIALS_FILE).'}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!accessKeyId.trim() || !secretAccessKey) return;
          setCredentials({ accessKeyId: accessKeyId.trim(), secretAccessKey });
          onDone(true);
        }}
      >
        <label className="field">
          Access key ID
          <input name="accessKeyId" autoComplete="username" value={accessKeyId} onChange={(e) => setAccessKeyId(e.target.value)} required autoFocus />
        </label>
        <label className="field">
          Secret access key
          <input
            name="secretAccessKey"
            type="password"
            autoComplete="current-password"
            value={secretAccessKey}
            onChange={(e) => setSecretAccessKey(e.target.value)}
            required
          />
        </label>
        <p className="hint">Kept in this tab's session storage only; closing the tab forgets it.</p>
        <div className="actions">
          <button type="button" onClick={() => onDone(false)}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Sign in
          </button>
        </div>
      </form>
    </dialog>
  );
}

let pending: Promise<boolean> | null = null;
/** Set once the user cancelled: calls then fail with the server's error instead of asking again. */
let dismissed = false;

/**
 * Shows the form (once, however many calls fail at the same time) and resolves true when the
 * user entered a key pair, false when they cancelled.
 */
export function requestSignIn(code: string): Promise<boolean> {
  if (dismissed) return Promise.resolve(false);
  pending ??= new Promise<boolean>((resolve) => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    const root: Root = createRoot(host);
    root.render(
      <SignInDialog
        code={code}
        onDone={(ok) => {
          root.unmount();
          host.remove();
          pending = null;
          if (!ok) dismissed = true;
          resolve(ok);
        }}
      />,
    );
  });
  return pending;
}
