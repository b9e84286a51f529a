// A unified diff (as git writes it) read into hunks of numbered lines, and those lines paired
// into rows for the side-by-side view.

export type DiffLineKind = 'add' | 'del' | 'context';

export type DiffLine = {
  kind: DiffLineKind;
  /** The line without its leading `+`, `-` or space. */
  text: string;
  /** Line number in the base's version; null for an added line. */
  oldLine: number | null;
  /** Line number in the session's version; null for a removed line. */
  newLine: number | null;
};

export type Hunk = { header: string; lines: DiffLine[] };

/** One row of the side-by-side view: the base's line on the left, the session's on the right. */
export type SplitRow = { left: DiffLine | null; right: DiffLine | null };

const HUNK_HEADER = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** The hunks of `diff`; file headers (`diff --git`, `index`, `---`, `+++`) are skipped. */
export function parseDiff(diff: string): Hunk[] {
  const hunks: Hunk[] = [];
  let current: Hunk | null = null;
  let oldLine = 0;
  let newLine = 0;
  for (const line of diff.split('\n')) {
    const header = HUNK_HEADER.exec(line);
    if (header) {
      current = { header: line, lines: [] };
      hunks.push(current);
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      continue;
    }
    // Before the first hunk come the file headers; `\ No newline at end of file` is no line.
    if (!current || line.startsWith('\\')) continue;
    const marker = line.charAt(0);
    const text = line.slice(1);
    if (marker === '+') {
      current.lines.push({ kind: 'add', text, oldLine: null, newLine: newLine++ });
    } else if (marker === '-') {
      current.lines.push({ kind: 'del', text, oldLine: oldLine++, newLine: null });
    } else if (marker === ' ') {
      current.lines.push({ kind: 'context', text, oldLine: oldLine++, newLine: newLine++ });
    }
  }
  return hunks;
}

/** Pairs each run of removed lines with the run of added lines that follows it. */
export function splitRows(lines: DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (line.kind === 'context') {
      rows.push({ left: line, right: line });
      index += 1;
      continue;
    }
    const removed: DiffLine[] = [];
    const added: DiffLine[] = [];
    while (index < lines.length && lines[index].kind === 'del') removed.push(lines[index++]);
    while (index < lines.length && lines[index].kind === 'add') added.push(lines[index++]);
    for (let row = 0; row < Math.max(removed.length, added.length); row += 1) {
      rows.push({ left: removed[row] ?? null, right: added[row] ?? null });
    }
  }
  return rows;
}
