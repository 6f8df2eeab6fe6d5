import { useSearchParams } from 'react-router';

/**
 * Cursor pagination for the API's {items, next_cursor} lists, kept in the
 * URL: the cursors of the pages walked so far are repeated ?after=
 * parameters (the last is the page shown), so a reload or a shared link
 * opens the same page and Previous still works. A page with two lists
 * names the second one's parameter (key).
 */
/** The state useCursor keeps: the page's cursor and the moves between pages. */
export type Cursor = ReturnType<typeof useCursor>;

export function useCursor(key = 'after') {
  const [params, setParams] = useSearchParams();
  const stack = params.getAll(key);
  const update = (change: (stack: string[]) => string[]) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        const s = change(next.getAll(key));
        next.delete(key);
        for (const c of s) next.append(key, c);
        return next;
      },
      { replace: false },
    );
  return {
    /** The URL parameter: a filter change that rebuilds the parameters drops it (back to page 1). */
    key,
    cursor: stack.at(-1),
    page: stack.length + 1,
    next: (c: string) => update((s) => [...s, c]),
    prev: () => update((s) => s.slice(0, -1)),
    reset: () => update(() => []),
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
