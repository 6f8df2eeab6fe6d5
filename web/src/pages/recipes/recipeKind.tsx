// Recipes as a kind of revisioned document (methods/kind.ts): what their
// list and detail pages show that SOPs do not.
import type { Recipe, RecipeFields } from '../../api/types';
import { formatTime } from '../../components/time';
import type { MethodKind } from '../methods/kind';
import { RecipeForm } from './RecipeForm';

function Parameters({ recipe }: { recipe: Recipe }) {
  const ps = recipe.parameters ?? [];
  if (ps.length === 0) return <p className="muted">No parameters.</p>;
  const show = (n: number | undefined) => (n === undefined || n === null ? '—' : n);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="recipe-parameters">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Unit</th>
            <th scope="col">Min</th>
            <th scope="col">Max</th>
            <th scope="col">Default</th>
          </tr>
        </thead>
        <tbody>
          {ps.map((p) => (
            <tr key={p.name} data-testid="recipe-parameter">
              <td className="mono">{p.name}</td>
              <td>{p.unit || '—'}</td>
              <td>{show(p.min)}</td>
              <td>{show(p.max)}</td>
              <td>{show(p.default)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RecipeView({ recipe }: { recipe: Recipe }) {
  return (
    <>
      <div className="card">
        <dl className="details">
          <dt>Description</dt>
          <dd data-testid="recipe-detail-description">{recipe.description || '—'}</dd>
          <dt>Instrument kinds</dt>
          <dd>
            <div className="chips" data-testid="recipe-kinds">
              {(recipe.instrument_kinds ?? []).map((k) => (
                <span key={k} className="chip">
                  {k}
                </span>
              ))}
              {(recipe.instrument_kinds ?? []).length === 0 && '—'}
            </div>
          </dd>
          <dt>Derived results</dt>
          <dd>
            <ul className="alerts" data-testid="recipe-extractions">
              {(recipe.extractions ?? []).map((x) => (
                <li key={`${x.series ?? ''}/${x.metric}`}>
                  {x.metric}
                  {x.unit ? ` [${x.unit}]` : ''}: {x.method.replace(/_/g, ' ')}
                  {x.at !== undefined && x.at !== null ? ` at ${x.at}` : ''}
                  {x.series ? ` of series “${x.series}”` : ''}
                </li>
              ))}
              {(recipe.extractions ?? []).length === 0 && <li>—</li>}
            </ul>
          </dd>
          <dt>Updated</dt>
          <dd>{formatTime(recipe.updated_at)}</dd>
        </dl>
      </div>
      <section className="card" aria-labelledby="params-h">
        <h2 id="params-h">Parameters</h2>
        <Parameters recipe={recipe} />
      </section>
    </>
  );
}

export const recipeKind: MethodKind<Recipe, RecipeFields> = {
  key: 'recipe',
  base: '/api/lims/recipes',
  route: '/recipes',
  title: 'Recipes',
  noun: 'recipe',
  nouns: 'recipes',
  searchPlaceholder: 'Search by name',
  draftPermission: 'recipe.draft',
  label: (r) => `${r.name} rev. ${r.revision}`,
  heading: (r) => <span data-testid="recipe-detail-name">{r.name}</span>,
  view: (r) => <RecipeView recipe={r} />,
  form: (props) => <RecipeForm {...props} />,
  changeHint: 'change the method',
  retireText: 'New runs can no longer use a retired revision. Runs that used it keep pointing at it.',
};
