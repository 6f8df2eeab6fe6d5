import { describe, expect, it } from 'vitest';
import { toRecipeFields } from './RecipeForm';
import { numberOrUndefined, serverFieldToPath, splitList } from './recipeFields';

describe('recipe form helpers', () => {
  it('maps the server’s field names to form paths', () => {
    expect(serverFieldToPath('parameters[1].max')).toBe('parameters.1.max');
    expect(serverFieldToPath('instrument_kinds[0]')).toBe('instrument_kinds.0');
    expect(serverFieldToPath('name')).toBe('name');
  });

  it('splits the instrument kinds and reads optional numbers', () => {
    expect(splitList(' SMU, spectrometer ,, ')).toEqual(['SMU', 'spectrometer']);
    expect(numberOrUndefined(' ')).toBeUndefined();
    expect(numberOrUndefined('0')).toBe(0);
    expect(numberOrUndefined('-1.5e3')).toBe(-1500);
  });

  it('turns the form values into the API’s fields', () => {
    expect(
      toRecipeFields({
        name: ' IV ',
        description: '',
        instrument_kinds: 'SMU',
        parameters: [{ name: 'v_max', unit: 'V', min: '0', max: '', default: '5' }],
      }),
    ).toEqual({
      extractions: [],
      name: 'IV',
      description: '',
      instrument_kinds: ['SMU'],
      parameters: [{ name: 'v_max', unit: 'V', min: 0, max: undefined, default: 5 }],
    });
  });

  it('keeps the recipe’s extractions, which the form does not edit', () => {
    const extractions = [{ method: 'threshold_voltage' as const, metric: 'threshold_voltage', unit: 'V' }];
    const v = { name: 'IV', description: '', instrument_kinds: 'SMU', parameters: [] };
    expect(toRecipeFields(v, extractions).extractions).toEqual(extractions);
  });
});
