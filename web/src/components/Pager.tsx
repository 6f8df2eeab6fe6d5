import { useState } from 'react';

/**
 * Cursor pagination for the API's {items, next_cursor} lists: remembers
 * the cursors of the pages before so Previous works.
 */
/** The state useCursor keeps: the page's cursor and the moves between pages. */
export type Cursor = ReturnType<typeof useCursor>;

export function useCursor() {
  const [stack, setStack] = useState<string[]>([]);
  const cursor = stack.at(-1);
  return {
    cursor,
    page: stack.length + 1,
    next: (c: string) => setStack((s) => [...s, c]),
    prev: () => setStack((s) => s.slice(0, -1)),
    reset: () => setStack([]),
  };
}

export function Pager({
  page,
  nextCursor,
  onNext,
  onPrev,
}: {
  page: number;
  nextCursor: string | null | undefined;
  onNext: (cursor: string) => void;
  onPrev: () => void;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrev} disabled={page <= 1} data-testid="prev-page">
        ← Previous
      </button>
      <span>Page {page}</span>
      <button
        type="button"
        onClick={() => nextCursor && onNext(nextCursor)}
        disabled={!nextCursor}
        data-testid="next-page"
      >
        Next →
      </button>
    </nav>
  );
}
