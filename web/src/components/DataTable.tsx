import { flexRender, type Table } from '@tanstack/react-table';

/**
 * A @tanstack/react-table table in the app's markup: header row, one row
 * per item (rowTestId on each), wrapped so it scrolls sideways on narrow
 * screens instead of the page.
 */
export function DataTable<T>({ table, testId, rowTestId }: { table: Table<T>; testId: string; rowTestId: string }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => (
                <th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr key={row.id} data-testid={rowTestId}>
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
