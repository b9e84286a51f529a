// The messages the Review tab sends to a session's agent: line comments gathered into one
// "request changes" message, and the request to resolve conflicts with the base. Both must read
// well to a person too, since they stay in the chat history.

/** A comment the user wrote on one line of a file's diff. */
export type LineComment = {
  path: string;
  /** `new` for a line of the session's version, `old` for a removed line of the base's. */
  side: 'new' | 'old';
  line: number;
  /** The code of that line, quoted in the message so the agent sees what the comment is about. */
  code: string;
  text: string;
};

export function commentKey(comment: Pick<LineComment, 'path' | 'side' | 'line'>): string {
  return `${comment.path}#${comment.side}${comment.line}`;
}

/** Where a comment points, as `path:line`, noting lines that exist only in the base. */
export function commentLocation(comment: Pick<LineComment, 'path' | 'side' | 'line'>): string {
  return `${comment.path}:${comment.line}${comment.side === 'old' ? ' (removed line)' : ''}`;
}

export function requestChangesMessage(comments: LineComment[], branch: string | null, base: string | null): string {
  const subject = branch ? `your branch ${branch}${base ? ` (against ${base})` : ''}` : 'your changes';
  const sorted = [...comments].sort(
    (a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.side.localeCompare(b.side),
  );
  const items = sorted.map((comment) => {
    const quoted = comment.code.trim() ? `\n> ${comment.code.trim()}` : '';
    return `${commentLocation(comment)}${quoted}\n${comment.text.trim()}`;
  });
  return [
    `Review of ${subject}: please make these changes, then commit.`,
    ...items,
  ].join('\n\n');
}

export function resolveConflictsMessage(files: string[], branch: string, base: string): string {
  return [
    `Your branch ${branch} conflicts with ${base} in ${files.length === 1 ? 'this file' : 'these files'}:`,
    ...files.map((file) => `- ${file}`),
    '',
    `Please rebase ${branch} onto ${base} in your worktree (\`git rebase ${base}\`), resolve the conflicts in ` +
      `each file so that both sides' changes are kept, run the tests, and finish with \`git rebase --continue\` ` +
      'so that the result is committed.',
  ].join('\n');
}
