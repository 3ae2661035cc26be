/**
 * The tokens of a pcap-filter expression (pcap-filter(7)): words (keywords, numbers, addresses,
 * names such as `tcp-syn`), a backslash-escaped word (`\tcp`), and punctuation. Each token keeps
 * its 0-based offset, so that every error can say where it is.
 */

/** An expression the filter syntax does not allow, or a part of it potiron does not do. */
export class FilterError extends Error {
  override name = 'FilterError'
  /** 0-based offset in the expression of what is wrong. */
  readonly position: number

  constructor (message: string, position: number) {
    super(`${message} (at character ${position + 1})`)
    this.position = position
  }
}

export type TokenKind = 'word' | 'punct' | 'end'

export interface Token {
  kind: TokenKind
  /** The word (without its backslash) or the punctuation, '' at the end. */
  text: string
  /** The word was escaped (`\tcp`): a name, not a keyword. */
  escaped: boolean
  at: number
}

/** Punctuation, longest first so that `<=` is not read as `<` then `=`. */
const PUNCT = ['&&', '||', '<=', '>=', '==', '!=', '<<', '>>', '(', ')', '[', ']', '!', '<', '>', '=', '&', '|', '+', '-', '/', ':']

/** What a word is made of: letters, digits and `. : - _` (addresses, `tcp-syn`, `2001:db8::1`, `1-1024`). */
const WORD = /[A-Za-z0-9_.:-]/

export function tokenize (text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) { i++; continue }
    const escaped = c === '\\'
    const start = escaped ? i + 1 : i
    if (escaped || /[A-Za-z0-9_.]/.test(c) || (c === ':' && text[i + 1] === ':')) {
      let j = start
      while (j < text.length && WORD.test(text[j]!)) j++
      if (j === start) throw new FilterError('\'\\\' must be followed by a name', i)
      tokens.push({ kind: 'word', text: text.slice(start, j), escaped, at: i })
      i = j
      continue
    }
    const punct = PUNCT.find(p => text.startsWith(p, i))
    if (punct === undefined) throw new FilterError(`unexpected '${c}'`, i)
    tokens.push({ kind: 'punct', text: punct, escaped: false, at: i })
    i += punct.length
  }
  tokens.push({ kind: 'end', text: '', escaped: false, at: text.length })
  return tokens
}
