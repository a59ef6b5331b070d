/** @module console/components/action-form — a form that runs an action on submit, and the dialog form built on it (fields, error, Cancel and submit). */
import type { ReactNode } from 'react';
import { Dialog } from './dialog.js';
import { ErrorBox } from './ui.js';

interface Action {
  run: () => Promise<unknown>;
  busy: boolean;
  error: unknown;
}

/** A <form> whose submit runs `action` instead of navigating. */
export function ActionForm({ action, className, method, children }: { action: Pick<Action, 'run'>; className?: string; method?: 'dialog'; children: ReactNode }) {
  return (
    <form
      className={className}
      method={method}
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      {children}
    </form>
  );
}

/** A modal form: `children` (the fields), the action's error ("<what> failed"), Cancel and the submit button. */
export function DialogForm(p: { open: boolean; title: string; onClose: () => void; action: Action; what: string; submit: ReactNode; method?: 'dialog'; children: ReactNode }) {
  return (
    <Dialog open={p.open} title={p.title} onClose={p.onClose}>
      <ActionForm action={p.action} method={p.method}>
        {p.children}
        <ErrorBox error={p.action.error} what={p.what} />
        <div className="actions">
          <button type="button" onClick={p.onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={p.action.busy}>
            {p.submit}
          </button>
        </div>
      </ActionForm>
    </Dialog>
  );
}
