import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm, useWatch, type Path } from 'react-hook-form';
import { Link, useNavigate } from 'react-router';
import { $api, api } from '../../api/client';
import { runQueries } from '../../api/queries';
import { toProblem, unwrap } from '../../api/problem';
import { Badge } from '../../components/Badge';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { applyServerErrors } from '../../forms/serverErrors';
import { Lockout } from './Lockout';
import { lockoutInstruments, type LapsedInstrument } from './lockout';
import '../instruments/instruments.css';
import type { CreateRunInputBody, Recipe, RecipeParam } from '../../api/types';


interface RunValues {
  recipe_id: string;
  sample_id: string;
  instrument_ids: string[];
  /** Parameter name → the input's text; empty takes the recipe's default. */
  parameters: Record<string, string>;
  notes: string;
}

/** The range and default of a recipe parameter, for the hint under it. */
export function paramHint(p: RecipeParam): string {
  const unit = p.unit ? ` ${p.unit}` : '';
  const range =
    p.min !== undefined && p.max !== undefined
      ? `${p.min} to ${p.max}${unit}`
      : p.min !== undefined
        ? `at least ${p.min}${unit}`
        : p.max !== undefined
          ? `at most ${p.max}${unit}`
          : '';
  const def = p.default !== undefined ? `default ${p.default}${unit}` : '';
  return [range, def].filter(Boolean).join('; ');
}

/** The parameters to send: numbers for the filled-in ones, the rest left to the recipe's defaults. */
export function parameterValues(params: RecipeParam[], values: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of params) {
    const raw = (values[p.name] ?? '').trim();
    if (raw !== '') out[p.name] = Number(raw);
  }
  return out;
}

function defaults(recipe: Recipe | undefined): Record<string, string> {
  return Object.fromEntries((recipe?.parameters ?? []).map((p) => [p.name, p.default !== undefined ? String(p.default) : '']));
}

export default function NewRunPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [sampleQ, setSampleQ] = useState('');
  const [lockout, setLockout] = useState<{ instruments: LapsedInstrument[]; detail: string } | null>(null);

  const recipes = $api.useQuery('get', '/api/lims/recipes', { params: { query: { status: 'approved', limit: 200 } } });
  const samples = $api.useQuery(
    'get',
    '/api/lims/samples',
    { params: { query: { q: sampleQ || undefined, limit: 100 } } },
    { placeholderData: (prev) => prev },
  );
  const instruments = $api.useQuery('get', '/api/analysis/calibrations/status');

  const form = useForm<RunValues>({
    defaultValues: { recipe_id: '', sample_id: '', instrument_ids: [], parameters: {}, notes: '' },
  });
  const { errors, isSubmitting } = form.formState;
  const recipeId = useWatch({ control: form.control, name: 'recipe_id' });
  const recipe = recipes.data?.items?.find((r) => r.id === recipeId);
  const params = recipe?.parameters ?? [];
  const kinds = new Set((recipe?.instrument_kinds ?? []).map((k) => k.toLowerCase()));

  const create = useMutation({
    mutationFn: async (body: CreateRunInputBody) => unwrap(await api.POST('/api/analysis/runs', { body })),
  });

  const submit = form.handleSubmit(async (v) => {
    setLockout(null);
    try {
      const run = await create.mutateAsync({
        recipe_id: v.recipe_id,
        sample_id: v.sample_id,
        instrument_ids: v.instrument_ids,
        parameters: parameterValues(params, v.parameters),
        notes: v.notes.trim() || undefined,
      });
      await queryClient.invalidateQueries({ queryKey: runQueries.all() });
      navigate(`/runs/${run.id}`);
    } catch (err) {
      const lapsed = lockoutInstruments(err);
      if (lapsed) {
        setLockout({ instruments: lapsed, detail: toProblem(err).detail });
        return;
      }
      const fields: Path<RunValues>[] = [
        'recipe_id',
        'sample_id',
        'instrument_ids',
        'notes',
        ...params.map((p) => `parameters.${p.name}` as const),
      ];
      applyServerErrors(err, form.setError, fields);
    }
  });

  if (recipes.isPending || instruments.isPending) return <Loading />;
  if (recipes.isError) return <ProblemMessage error={recipes.error} />;
  if (instruments.isError) return <ProblemMessage error={instruments.error} />;

  const allInstruments = [...(instruments.data.items ?? [])].sort(
    (a, b) => Number(kinds.has(b.instrument.kind.toLowerCase())) - Number(kinds.has(a.instrument.kind.toLowerCase())),
  );
  const instrumentError = errors.instrument_ids as { message?: string } | undefined;

  return (
    <section className="page">
      <p>
        <Link to="/runs">← Runs</Link>
      </p>
      <h1>New run</h1>
      <form className="card form" onSubmit={submit} noValidate data-testid="run-form">
        <div className="form-grid">
          <Field label="Recipe (approved)" error={errors.recipe_id}>
            <select
              data-testid="run-recipe"
              {...form.register('recipe_id', {
                required: 'Choose a recipe.',
                onChange: (e: { target: { value: string } }) => {
                  const r = recipes.data.items?.find((x) => x.id === e.target.value);
                  form.setValue('parameters', defaults(r));
                },
              })}
            >
              <option value="">Choose…</option>
              {(recipes.data.items ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name} (revision {r.revision})
                </option>
              ))}
            </select>
          </Field>
          <div className="field">
            <label htmlFor="run-sample-q">Find sample</label>
            <input
              id="run-sample-q"
              type="search"
              placeholder="Barcode or name"
              value={sampleQ}
              onChange={(e) => setSampleQ(e.target.value)}
              data-testid="run-sample-search"
            />
          </div>
          <Field label="Sample" error={errors.sample_id}>
            <select data-testid="run-sample" {...form.register('sample_id', { required: 'Choose a sample.' })}>
              <option value="">{samples.isPending ? 'Loading…' : 'Choose…'}</option>
              {(samples.data?.items ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.barcode} — {s.name}
                </option>
              ))}
            </select>
          </Field>
        </div>

        <fieldset aria-describedby={instrumentError ? 'run-instruments-msg' : undefined}>
          <legend>Instruments{recipe?.instrument_kinds?.length ? ` (recipe needs: ${recipe.instrument_kinds.join(', ')})` : ''}</legend>
          <ul className="instrument-picks" data-testid="run-instruments">
            {allInstruments.map((c) => (
              <li key={c.instrument.id}>
                <label className="check">
                  <input
                    type="checkbox"
                    value={c.instrument.id}
                    data-testid="run-instrument"
                    data-name={c.instrument.name}
                    {...form.register('instrument_ids', {
                      validate: (v) => (v && v.length > 0) || 'Choose at least one instrument.',
                    })}
                  />
                  {c.instrument.name} <span className="muted small">{c.instrument.kind}</span>{' '}
                  <Badge value={c.state} testId="cal-badge" />
                  {c.instrument.status !== 'active' && <Badge value={c.instrument.status} />}
                </label>
              </li>
            ))}
          </ul>
          {instrumentError?.message && (
            <div id="run-instruments-msg" className="field-error">
              {instrumentError.message}
            </div>
          )}
        </fieldset>

        {recipe && (
          <fieldset>
            <legend>Parameters</legend>
            {params.length === 0 ? (
              <p className="muted">This recipe takes no parameters.</p>
            ) : (
              <div className="param-grid">
                {params.map((p) => (
                  <Field
                    key={`${recipe.id}-${p.name}`}
                    label={`${p.name}${p.unit ? ` (${p.unit})` : ''}`}
                    error={errors.parameters?.[p.name]}
                    hint={paramHint(p)}
                  >
                    <input
                      inputMode="decimal"
                      data-testid={`param-${p.name}`}
                      {...form.register(`parameters.${p.name}`, {
                        validate: (v) => !v?.trim() || Number.isFinite(Number(v)) || 'Enter a number.',
                      })}
                    />
                  </Field>
                ))}
              </div>
            )}
          </fieldset>
        )}

        <Field label="Notes" error={errors.notes}>
          <textarea rows={2} data-testid="run-notes" {...form.register('notes')} />
        </Field>

        {lockout && <Lockout instruments={lockout.instruments} detail={lockout.detail} />}
        <FormError errors={errors} />
        <div className="actions">
          <button type="submit" data-testid="create-run" disabled={isSubmitting}>
            {isSubmitting ? 'Creating…' : 'Create run'}
          </button>
          <Link to="/runs" className="button secondary">
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}
