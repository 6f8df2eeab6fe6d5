import type { ReactNode } from 'react';

/** A piece of a search snippet: plain text, or a match to highlight. */
export interface SnippetPart {
  text: string;
  mark: boolean;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#34': '"' };

/**
 * Undoes the HTML escaping the server applies to snippets (&lt; &amp; …),
 * so the text shows as written. The result only ever becomes a text node,
 * never HTML. Unknown entities stay as they are.
 */
export function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#39|#34);/g, (_, e: string) => entities[e] ?? '');
}

/**
 * Splits a ts_headline snippet on its <mark>…</mark> tags. Everything
 * else (including any other tag) is text. An unbalanced tag does no harm:
 * a stray </mark> is dropped, an unclosed <mark> marks to the end.
 */
export function parseSnippet(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let mark = false;
  for (const piece of snippet.split(/(<\/?mark>)/i)) {
    const tag = piece.toLowerCase();
    if (tag === '<mark>') mark = true;
    else if (tag === '</mark>') mark = false;
    else if (piece) {
      const text = decodeEntities(piece);
      const last = parts.at(-1);
      if (last && last.mark === mark) last.text += text;
      else parts.push({ text, mark });
    }
  }
  return parts;
}

/** A search hit's snippet, its matches highlighted; no HTML is ever rendered. */
export function Snippet({ html }: { html: string }): ReactNode {
  return (
    <span className="snippet" data-testid="eln-snippet">
      {parseSnippet(html).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </span>
  );
}
