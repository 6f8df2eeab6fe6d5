import { createColumnHelper } from '@tanstack/react-table';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import type { SOP } from '../../api/types';
import { formatTime } from '../../components/time';
import { MethodList } from '../methods/MethodList';
import { StatusBadge } from '../methods/methodParts';
import { sopKind } from './sopKind';

const col = createColumnHelper<SOP>();
const columns = [
  col.accessor('code', {
    header: 'Code',
    cell: (c) => (
      <Link to={`/sops/${c.row.original.id}`} className="nowrap" data-testid="sop-link">
        {c.getValue()}
      </Link>
    ),
  }),
  col.accessor('title', { header: 'Title' }),
  col.accessor('revision', { header: 'Rev.' }),
  col.accessor('status', { header: 'Status', cell: (c) => <StatusBadge status={c.getValue()} testId="sop-status" /> }),
  col.accessor('approved_at', { header: 'Approved', cell: (c) => formatTime(c.getValue(), 'short') }),
  col.accessor('updated_at', { header: 'Updated', cell: (c) => formatTime(c.getValue(), 'short') }),
];

export default function SopsPage() {
  return (
    <MethodList kind={sopKind} columns={columns} create={async (body) => unwrap(await api.POST('/api/lims/sops', { body }))} />
  );
}
