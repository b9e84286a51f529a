import { describe, expect, it } from 'vitest';
import { parseDiff, splitRows } from './diff';
import { languageOf, tokenize } from './highlight';

const diff = [
  'diff --git a/a.py b/a.py',
  '--- a/a.py',
  '+++ b/a.py',
  '@@ -3,2 +3,3 @@',
  ' keep',
  '-old',
  '+new one',
  '+new two',
  '\\ No newline at end of file',
].join('\n');

describe('unified diff parsing', () => {
  it('numbers context, removed and added lines from the hunk header', () => {
    const [hunk] = parseDiff(diff);
    expect(hunk.header).toBe('@@ -3,2 +3,3 @@');
    expect(hunk.lines).toEqual([
      { kind: 'context', text: 'keep', oldLine: 3, newLine: 3 },
      { kind: 'del', text: 'old', oldLine: 4, newLine: null },
      { kind: 'add', text: 'new one', oldLine: null, newLine: 4 },
      { kind: 'add', text: 'new two', oldLine: null, newLine: 5 },
    ]);
  });

  it('pairs removed lines with the added lines after them for the side-by-side view', () => {
    const rows = splitRows(parseDiff(diff)[0].lines);
    expect(rows.map((row) => [row.left?.text ?? null, row.right?.text ?? null])).toEqual([
      ['keep', 'keep'],
      ['old', 'new one'],
      [null, 'new two'],
    ]);
  });
});

describe('syntax colouring', () => {
  it('finds keywords, strings, numbers and comments by the file extension', () => {
    const tokens = tokenize('return "a#b" + 42 # why', languageOf('x.py'));
    expect(tokens.filter((token) => token.kind !== 'plain')).toEqual([
      { kind: 'keyword', text: 'return' },
      { kind: 'string', text: '"a#b"' },
      { kind: 'number', text: '42' },
      { kind: 'comment', text: '# why' },
    ]);
  });

  it('leaves lines of unknown languages plain', () => {
    expect(tokenize('return 1', languageOf('notes.txt'))).toEqual([{ kind: 'plain', text: 'return 1' }]);
  });
});
