// SOPs as a kind of revisioned document (methods/kind.ts): what their list
// and detail pages show that recipes do not.
import type { SOP, SopFields } from '../../api/types';
import { Markdown } from '../../components/Markdown';
import type { MethodKind } from '../methods/kind';
import { SopForm } from './SopForm';

export const sopKind: MethodKind<SOP, SopFields> = {
  key: 'sop',
  base: '/api/lims/sops',
  route: '/sops',
  title: 'SOPs',
  noun: 'SOP',
  nouns: 'SOPs',
  searchPlaceholder: 'Search by code or title',
  draftPermission: 'sop.draft',
  label: (s) => `${s.code} rev. ${s.revision}`,
  heading: (s) => (
    <>
      <span data-testid="sop-detail-code">{s.code}</span> <span data-testid="sop-detail-title">{s.title}</span>
    </>
  ),
  view: (s) => (
    <article className="card" aria-label="Procedure">
      <Markdown source={s.body_markdown} testId="sop-body-rendered" />
    </article>
  ),
  form: (props) => <SopForm {...props} />,
  changeHint: 'revise the procedure',
  retireText: 'A retired procedure stays on record but is no longer the one to follow.',
};
