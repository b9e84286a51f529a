// Syntax colouring for diff lines: a small line-at-a-time tokenizer for common languages that
// finds comments, strings, numbers and keywords. A diff shows fragments, so a block comment or
// a string that spans lines is coloured only on the line where it starts; that is the price of
// colouring any hunk on its own.

export type TokenKind = 'keyword' | 'string' | 'comment' | 'number' | 'plain';
export type Token = { kind: TokenKind; text: string };

export type Language = { keywords: Set<string>; lineComment: string; blockComment: boolean };

const words = (text: string) => new Set(text.split(/\s+/));

const cStyleKeywords =
  'if else for while do switch case default break continue return function const let var new delete class ' +
  'extends implements interface enum type import export from as async await try catch finally throw this ' +
  'super static public private protected readonly void null true false undefined typeof instanceof in of ' +
  'fn let mut pub use mod struct impl trait where match loop self Self crate move ref dyn unsafe ' +
  'package func go defer chan map range select var struct nil int long char float double bool boolean ' +
  'string String val when object fun override';

const hashKeywords =
  'def class if elif else for while return import from as with try except finally raise lambda yield pass ' +
  'break continue and or not in is None True False self async await global nonlocal ' +
  'then fi do done esac case function local export echo end module require begin rescue unless';

const cStyle: Language = { keywords: words(cStyleKeywords), lineComment: '//', blockComment: true };
const hashStyle: Language = { keywords: words(hashKeywords), lineComment: '#', blockComment: false };
const dataStyle: Language = { keywords: words('true false null yes no on off'), lineComment: '#', blockComment: false };

const languages: Record<string, Language> = {
  ts: cStyle, tsx: cStyle, js: cStyle, jsx: cStyle, mjs: cStyle, cjs: cStyle, rs: cStyle, go: cStyle,
  java: cStyle, kt: cStyle, c: cStyle, h: cStyle, cc: cStyle, cpp: cStyle, hpp: cStyle, cs: cStyle,
  swift: cStyle, css: cStyle, scss: cStyle, json: cStyle,
  py: hashStyle, rb: hashStyle, sh: hashStyle, bash: hashStyle, zsh: hashStyle,
  yaml: dataStyle, yml: dataStyle, toml: dataStyle,
};

/** The language of a file by its extension, or null when it is not one this tokenizer knows. */
export function languageOf(path: string): Language | null {
  const extension = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return (extension && languages[extension]) || null;
}

/** The tokens of one line; the plain line when its language is unknown. */
export function tokenize(line: string, language: Language | null): Token[] {
  if (!language) return [{ kind: 'plain', text: line }];
  const tokens: Token[] = [];
  const push = (kind: TokenKind, text: string) => {
    const last = tokens[tokens.length - 1];
    if (last && last.kind === kind && kind === 'plain') last.text += text;
    else tokens.push({ kind, text });
  };
  let index = 0;
  while (index < line.length) {
    const rest = line.slice(index);
    if (rest.startsWith(language.lineComment)) {
      push('comment', rest);
      break;
    }
    if (language.blockComment && rest.startsWith('/*')) {
      const end = rest.indexOf('*/', 2);
      const text = end === -1 ? rest : rest.slice(0, end + 2);
      push('comment', text);
      index += text.length;
      continue;
    }
    const quote = rest.charAt(0);
    if (quote === '"' || quote === "'" || quote === '`') {
      let end = 1;
      while (end < rest.length && rest.charAt(end) !== quote) end += rest.charAt(end) === '\\' ? 2 : 1;
      const text = rest.slice(0, end + 1);
      push('string', text);
      index += text.length;
      continue;
    }
    const word = /^[A-Za-z_$][\w$]*/.exec(rest)?.[0];
    if (word) {
      push(language.keywords.has(word) ? 'keyword' : 'plain', word);
      index += word.length;
      continue;
    }
    const number = /^\d[\d_]*(\.\d+)?([eE][+-]?\d+)?/.exec(rest)?.[0];
    if (number) {
      push('number', number);
      index += number.length;
      continue;
    }
    push('plain', rest.charAt(0));
    index += 1;
  }
  return tokens;
}
