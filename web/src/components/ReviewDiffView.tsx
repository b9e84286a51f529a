// One file's diff in the Review tab, unified or side by side, syntax-coloured, with a comment
// button on every line: a comment opens an editor under its line and, once added, stays there
// until the user removes it or sends all comments with "Request changes".

import { Fragment, useState, type ReactNode } from 'react';
import { parseDiff, splitRows, type DiffLine } from '../diff';
import { languageOf, tokenize, type Language } from '../highlight';
import { commentKey, commentLocation, type LineComment } from '../reviewMessages';

export type DiffLayout = 'unified' | 'split';

export type ReviewDiffViewProps = {
  path: string;
  diff: string;
  layout: DiffLayout;
  comments: Record<string, LineComment>;
  onSaveComment: (comment: LineComment) => void;
  onRemoveComment: (key: string) => void;
};

/** The line a comment on `line` points to: removed lines exist only in the base. */
function anchorOf(path: string, line: DiffLine): Pick<LineComment, 'path' | 'side' | 'line'> {
  return line.kind === 'del'
    ? { path, side: 'old', line: line.oldLine ?? 0 }
    : { path, side: 'new', line: line.newLine ?? 0 };
}

export function ReviewDiffView({ path, diff, layout, comments, onSaveComment, onRemoveComment }: ReviewDiffViewProps) {
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const language = languageOf(path);
  const hunks = parseDiff(diff);
  if (hunks.length === 0) return <p className="empty">No textual difference (a binary file, or only a mode change).</p>;

  function openEditor(line: DiffLine) {
    const key = commentKey(anchorOf(path, line));
    setEditing(key);
    setDraft(comments[key]?.text ?? '');
  }

  function commentButton(line: DiffLine): ReactNode {
    const anchor = anchorOf(path, line);
    return (
      <button
        type="button"
        className="comment-button"
        aria-label={`Comment on ${commentLocation(anchor)}`}
        onClick={() => openEditor(line)}
      >
        +
      </button>
    );
  }

  /** The comment row under `line`: its editor while open, else the saved comment. */
  function commentRow(line: DiffLine | null, columns: number): ReactNode {
    if (!line) return null;
    const anchor = anchorOf(path, line);
    const key = commentKey(anchor);
    const saved = comments[key];
    if (editing === key) {
      const inputId = `comment-${key}`;
      return (
        <tr className="comment-row">
          <td colSpan={columns}>
            <form
              className="comment-editor"
              onSubmit={(event) => {
                event.preventDefault();
                if (!draft.trim()) return;
                onSaveComment({ ...anchor, code: line.text, text: draft.trim() });
                setEditing(null);
              }}
            >
              <label htmlFor={inputId}>Your comment on {commentLocation(anchor)}</label>
              <textarea id={inputId} rows={3} value={draft} onChange={(event) => setDraft(event.target.value)} autoFocus />
              <div className="actions">
                <button type="submit" className="primary small" disabled={!draft.trim()}>
                  {saved ? 'Update comment' : 'Add comment'}
                </button>
                <button type="button" className="small" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </div>
            </form>
          </td>
        </tr>
      );
    }
    if (!saved) return null;
    return (
      <tr className="comment-row">
        <td colSpan={columns}>
          <div className="line-comment">
            <p>{saved.text}</p>
            <div className="actions">
              <button type="button" className="small" onClick={() => openEditor(line)}>
                Edit
              </button>
              <button
                type="button"
                className="small"
                aria-label={`Remove comment on ${commentLocation(anchor)}`}
                onClick={() => onRemoveComment(key)}
              >
                Remove
              </button>
            </div>
          </div>
        </td>
      </tr>
    );
  }

  const columns = layout === 'unified' ? 3 : 4;
  return (
    <div className="review-diff-scroll">
      <table className={`review-diff ${layout}`} aria-label={`Diff of ${path}`}>
        <tbody>
          {hunks.map((hunk, hunkIndex) => (
            <Fragment key={hunkIndex}>
              <tr className="diff-hunk">
                <td colSpan={columns}>{hunk.header}</td>
              </tr>
              {layout === 'unified'
                ? hunk.lines.map((line, index) => (
                    <Fragment key={index}>
                      <tr className={`diff-${line.kind}`}>
                        <td className="line-number">{line.oldLine ?? ''}</td>
                        <td className="line-number">
                          {line.newLine ?? ''}
                          {commentButton(line)}
                        </td>
                        <CodeCell line={line} language={language} />
                      </tr>
                      {commentRow(line, columns)}
                    </Fragment>
                  ))
                : splitRows(hunk.lines).map((row, index) => (
                    <Fragment key={index}>
                      <tr>
                        <td className={`line-number diff-${row.left?.kind ?? 'empty'}`}>
                          {row.left?.oldLine ?? ''}
                          {row.left?.kind === 'del' && commentButton(row.left)}
                        </td>
                        <CodeCell line={row.left} language={language} />
                        <td className={`line-number diff-${row.right?.kind ?? 'empty'}`}>
                          {row.right?.newLine ?? ''}
                          {row.right && commentButton(row.right)}
                        </td>
                        <CodeCell line={row.right} language={language} />
                      </tr>
                      {row.left?.kind === 'del' && commentRow(row.left, columns)}
                      {commentRow(row.right, columns)}
                    </Fragment>
                  ))}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const markers = { add: '+', del: '-', context: ' ' };
const spokenMarkers = { add: 'added: ', del: 'removed: ', context: '' };

function CodeCell({ line, language }: { line: DiffLine | null; language: Language | null }) {
  if (!line) return <td className="code-cell diff-empty" />;
  return (
    <td className={`code-cell diff-${line.kind}`}>
      <span className="diff-marker" aria-hidden="true">
        {markers[line.kind]}
      </span>
      {spokenMarkers[line.kind] && <span className="visually-hidden">{spokenMarkers[line.kind]}</span>}
      {tokenize(line.text, language).map((token, index) =>
        token.kind === 'plain' ? (
          <Fragment key={index}>{token.text}</Fragment>
        ) : (
          <span key={index} className={`tok-${token.kind}`}>
            {token.text}
          </span>
        ),
      )}
    </td>
  );
}
