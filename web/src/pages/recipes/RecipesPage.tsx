import { createColumnHelper } from '@tanstack/react-table';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { Recipe } from '../../api/types';
import { formatTime } from '../../components/time';
import { MethodList } from '../methods/MethodList';
import { StatusBadge } from '../methods/methodParts';
import { recipeKind } from './recipeKind';

const col = createColumnHelper<Recipe>();
const columns = [
  col.accessor('name', {
    header: 'Name',
    cell: (c) => (
      <Link to={`/recipes/${c.row.original.id}`} data-testid="recipe-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor('revision', { header: 'Rev.' }),
  col.accessor('status', { header: 'Status', cell: (c) => <StatusBadge status={c.getValue()} testId="recipe-status" /> }),
  col.accessor('instrument_kinds', { header: 'Instruments', cell: (c) => (c.getValue() ?? []).join(', ') || '—' }),
  col.accessor('parameters', { header: 'Parameters', cell: (c) => (c.getValue() ?? []).length }),
  col.accessor('updated_at', { header: 'Updated', cell: (c) => formatTime(c.getValue(), 'short') }),
];

export default function RecipesPage() {
  return (
    <MethodList
      kind={recipeKind}
      columns={columns}
      create={async (body) => unwrap(await api.POST('/api/lims/recipes', { body }))}
    />
  );
}
