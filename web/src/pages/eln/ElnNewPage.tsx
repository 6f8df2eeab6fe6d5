import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/client';
import { elnQueries } from '../../api/queries';
import { unwrap } from '../../api/problem';
import { EntryForm, type EntryValues } from './EntryForm';

export default function ElnNewPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (v: EntryValues) =>
      unwrap(
        await api.POST('/api/lims/eln', {
          body: {
            title: v.title,
            body_markdown: v.body_markdown,
            project_id: v.project_id || undefined,
            sample_ids: v.sample_ids,
            run_ids: v.run_ids,
          },
        }),
      ),
  });
  return (
    <section className="page">
      <p>
        <Link to="/eln">← Notebook</Link>
      </p>
      <EntryForm
        onCancel={() => navigate('/eln')}
        onSave={async (v) => {
          const created = await create.mutateAsync(v);
          await queryClient.invalidateQueries({ queryKey: elnQueries.all() });
          navigate(`/eln/${created.id}`);
        }}
      />
    </section>
  );
}
