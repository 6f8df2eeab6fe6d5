import { useFieldArray, useForm, type Path } from 'react-hook-form';
import { toProblem } from '../../api/problem';
import type { Recipe, RecipeFields } from '../../api/types';
import type { MethodFormProps } from '../methods/kind';
import { FormActions } from '../../components/FormActions';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { applyServerErrors } from '../../forms/serverErrors';
import { numberOrUndefined, serverFieldToPath, splitList } from './recipeFields';

interface ParamRow {
  name: string;
  unit: string;
  min: string;
  max: string;
  default: string;
}

export interface RecipeValues {
  name: string;
  description: string;
  instrument_kinds: string;
  parameters: ParamRow[];
}

const paramKeys = ['name', 'unit', 'min', 'max', 'default'] as const;
const num = (n: number | undefined) => (n === undefined || n === null ? '' : String(n));

/**
 * The form's values as the API's recipe fields. The form does not edit
 * extractions (the API does): an edit keeps the recipe's own.
 */
export function toRecipeFields(v: RecipeValues, extractions: RecipeFields['extractions'] = []): RecipeFields {
  return {
    extractions: extractions ?? [],
    name: v.name.trim(),
    description: v.description.trim(),
    instrument_kinds: splitList(v.instrument_kinds),
    parameters: v.parameters.map((p) => ({
      name: p.name.trim(),
      unit: p.unit.trim(),
      min: numberOrUndefined(p.min),
      max: numberOrUndefined(p.max),
      default: numberOrUndefined(p.default),
    })),
  };
}

/**
 * Creates or edits a draft recipe: name, description, instrument kinds and
 * the parameter schema. The server's 422 errors (parameters[1].max …) land
 * at their cells.
 */
export function RecipeForm({ value: recipe, onSave, onCancel }: MethodFormProps<Recipe, RecipeFields>) {
  const form = useForm<RecipeValues>({
    defaultValues: {
      name: recipe?.name ?? '',
      description: recipe?.description ?? '',
      instrument_kinds: (recipe?.instrument_kinds ?? []).join(', '),
      parameters: (recipe?.parameters ?? []).map((p) => ({
        name: p.name,
        unit: p.unit,
        min: num(p.min),
        max: num(p.max),
        default: num(p.default),
      })),
    },
  });
  const params = useFieldArray({ control: form.control, name: 'parameters' });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (v) => {
    try {
      await onSave(toRecipeFields(v, recipe?.extractions ?? []));
    } catch (err) {
      const p = toProblem(err);
      const fields: Path<RecipeValues>[] = ['name', 'description', 'instrument_kinds'];
      v.parameters.forEach((_, i) => paramKeys.forEach((k) => fields.push(`parameters.${i}.${k}`)));
      const mapped = { ...p, errors: p.errors?.map((e) => ({ ...e, field: serverFieldToPath(e.field) })) };
      applyServerErrors(mapped, form.setError, fields);
    }
  });

  const numberRule = {
    validate: (s: string) => s.trim() === '' || Number.isFinite(Number(s)) || 'Not a number.',
  };

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="recipe-form">
      <h2>{recipe ? `Edit ${recipe.name} (rev. ${recipe.revision})` : 'New recipe'}</h2>
      <div className="form-grid">
        <Field label="Name" error={errors.name}>
          <input data-testid="recipe-name" {...form.register('name', { required: 'A name is required.' })} />
        </Field>
        <Field label="Instrument kinds" error={errors.instrument_kinds} hint="Comma-separated, e.g. SMU, spectrometer.">
          <input data-testid="recipe-kinds" {...form.register('instrument_kinds')} />
        </Field>
      </div>
      <Field label="Description" error={errors.description}>
        <textarea rows={2} data-testid="recipe-description" {...form.register('description')} />
      </Field>

      <fieldset className="params">
        <legend>
          <strong>Parameters</strong>
        </legend>
        {params.fields.length === 0 ? (
          <p className="muted small">No parameters.</p>
        ) : (
          <div className="table-wrap">
            <table className="table params-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Unit</th>
                  <th scope="col">Min</th>
                  <th scope="col">Max</th>
                  <th scope="col">Default</th>
                  <th scope="col">
                    <span className="visually-hidden">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {params.fields.map((f, i) => {
                  const rowErr = errors.parameters?.[i];
                  return (
                    <tr key={f.id} data-testid="param-row">
                      {paramKeys.map((k) => {
                        const e = rowErr?.[k];
                        return (
                          <td key={k} className={e ? 'field-invalid' : undefined}>
                            <input
                              aria-label={`Parameter ${i + 1} ${k}`}
                              aria-invalid={e ? true : undefined}
                              inputMode={k === 'name' || k === 'unit' ? undefined : 'decimal'}
                              data-testid={`param-${k}`}
                              {...form.register(
                                `parameters.${i}.${k}`,
                                k === 'name'
                                  ? { required: 'Required.' }
                                  : k === 'unit'
                                    ? {}
                                    : numberRule,
                              )}
                            />
                            {e?.message && <div className="field-error">{e.message}</div>}
                          </td>
                        );
                      })}
                      <td>
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Remove parameter ${i + 1}`}
                          onClick={() => params.remove(i)}
                        >
                          ✕
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <div>
          <button
            type="button"
            className="secondary"
            data-testid="add-param"
            onClick={() => params.append({ name: '', unit: '', min: '', max: '', default: '' })}
          >
            Add parameter
          </button>
        </div>
      </fieldset>

      <FormError errors={errors} />
      <FormActions testId="save-recipe" busy={isSubmitting} onCancel={onCancel} label="Save draft" />
    </form>
  );
}
