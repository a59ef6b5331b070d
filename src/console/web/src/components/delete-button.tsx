/** @module console/components/delete-button — delete flows: confirm, call the Delete* operation, go back to the list. */
import { sm, type Json } from '../api/client.js';
import { useAction } from '../hooks.js';
import { navigate } from '../router.js';
import { ErrorBox } from './ui.js';

/** An action that asks `question`, then runs `op` with `body` and navigates to `back`. */
export function useConfirmedDelete(question: string, op: string, body: Json, back: string) {
  return useAction(async () => {
    if (!window.confirm(question)) return;
    await sm(op, body);
    navigate(back);
  });
}

/** A danger button running useConfirmedDelete, with its error beside it. */
export function DeleteButton({ label, op, body, back }: { label: string; op: string; body: Json; back: string }) {
  const del = useConfirmedDelete(`${label}? This cannot be undone.`, op, body, back);
  return (
    <>
      <button type="button" className="danger" disabled={del.busy} onClick={() => void del.run()}>
        {label}
      </button>
      {del.error ? <ErrorBox error={del.error} what={label} /> : null}
    </>
  );
}
