import { act, renderHook } from '@testing-library/react';
import { useForm } from 'react-hook-form';
import { describe, expect, it } from 'vitest';
import { applyServerErrors } from './serverErrors';

// formState is a proxy: a form re-renders on errors only if render read them.
function watched<T extends { formState: { errors: unknown } }>(form: T): T {
  void form.formState.errors;
  return form;
}

const problem422 = {
  type: 'about:blank',
  title: 'Unprocessable Entity',
  status: 422,
  code: 'invalid',
  detail: 'validation failed',
  errors: [
    { field: 'barcode', message: 'is already used' },
    { field: 'metadata.owner', message: 'must be a string' },
  ],
};

describe('applyServerErrors', () => {
  it('puts each 422 field error under its field, and the rest at the form', () => {
    const { result } = renderHook(() => watched(useForm<{ barcode: string; name: string }>()));
    act(() => applyServerErrors(problem422, result.current.setError, ['barcode', 'name']));
    const errors = result.current.formState.errors;
    expect(errors.barcode?.message).toBe('is already used');
    expect(errors.name).toBeUndefined();
    expect(errors.root?.server?.message).toBe('metadata.owner: must be a string');
  });

  it('shows a problem without field errors at the form', () => {
    const { result } = renderHook(() => watched(useForm<{ barcode: string }>()));
    act(() =>
      applyServerErrors(
        { type: 'about:blank', title: 'Conflict', status: 409, code: 'conflict', detail: 'the sample changed meanwhile' },
        result.current.setError,
        ['barcode'],
      ),
    );
    expect(result.current.formState.errors.root?.server?.message).toBe('the sample changed meanwhile');
    expect(result.current.formState.errors.barcode).toBeUndefined();
  });

  it('shows a network failure at the form', () => {
    const { result } = renderHook(() => watched(useForm<{ barcode: string }>()));
    act(() => applyServerErrors(new TypeError('fetch failed'), result.current.setError, ['barcode']));
    expect(result.current.formState.errors.root?.server?.message).toBe('fetch failed');
  });
});
