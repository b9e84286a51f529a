// An API error shown inline: what is wrong, and what to do about it when the platform said.

import type { ApiError } from '../api/wire';

export type ErrorNoteProps = {
  error: Pick<ApiError, 'error' | 'remediation'> | null;
  onDismiss?: () => void;
};

export function ErrorNote({ error, onDismiss }: ErrorNoteProps) {
  if (!error) return null;
  return (
    <div className="error-note" role="alert">
      <p className="error-text">{error.error}</p>
      {error.remediation && <p className="remediation">{error.remediation}</p>}
      {onDismiss && (
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
