// The scaffold the list pages share: the search box, and the list's
// loading / error / rows / pager states. Each page keeps its own filters,
// columns and empty message.
import type { ReactNode } from 'react';
import { Loading } from './Loading';
import { Pager, type Cursor } from './Pager';
import { ProblemMessage } from './ProblemMessage';

/** A search form (?q=): submitting hands the trimmed text to onSearch. */
export function SearchForm({
  id,
  label,
  placeholder,
  q,
  testId,
  submitTestId,
  onSearch,
}: {
  /** The input's id (and its label's htmlFor). */
  id: string;
  /** The visually hidden label: "Search samples". */
  label: string;
  placeholder: string;
  /** The current search; the input starts from it and resets when it changes. */
  q: string;
  testId?: string;
  submitTestId?: string;
  onSearch: (q: string) => void;
}) {
  return (
    <form
      className="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(String(new FormData(e.currentTarget).get('q') ?? '').trim());
      }}
    >
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <input id={id} name="q" type="search" placeholder={placeholder} defaultValue={q} key={q} data-testid={testId} />
      <button type="submit" className="secondary" data-testid={submitTestId}>
        Search
      </button>
    </form>
  );
}

/** What ListResults needs of a query: TanStack's result of an {items, next_cursor} list. */
type ListQuery<D> =
  | { isPending: true; isError: false; error: null; data: undefined }
  | { isPending: false; isError: true; error: unknown; data: D | undefined }
  | { isPending: false; isError: false; error: null; data: D };

/** A cursor-paginated list: loading, its error, or its rows (children) and the pager. */
export function ListResults<D extends { next_cursor?: string | null }>({
  list,
  pager,
  children,
}: {
  list: ListQuery<D>;
  pager: Cursor;
  children: (data: D) => ReactNode;
}) {
  if (list.isPending) return <Loading />;
  if (list.isError) return <ProblemMessage error={list.error} />;
  return (
    <>
      {children(list.data)}
      <Pager page={pager.page} nextCursor={list.data.next_cursor} onNext={pager.next} onPrev={pager.prev} />
    </>
  );
}
