import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render as rtlRender, screen } from '@testing-library/react';
import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import type { components } from '../../api/schema';
import { lifeActions, RunActions } from './RunActions';

type RunDetail = components['schemas']['RunDetail'];

function run(status: RunDetail['status'], actions: RunDetail['actions']): RunDetail {
  return { id: 'r1', version: 3, status, actions } as RunDetail;
}

// RunActions sends its writes through useMutation: it needs a QueryClient.
const render = (ui: ReactElement) => rtlRender(<QueryClientProvider client={new QueryClient()}>{ui}</QueryClientProvider>);

const shown = () => ['start', 'complete', 'fail', 'abort'].filter((a) => screen.queryByTestId(`${a}-run`));

describe('RunActions', () => {
  it('offers exactly the life actions the server lists', () => {
    render(<RunActions run={run('running', ['complete', 'fail', 'abort', 'upload_results'])} onChanged={async () => {}} />);
    expect(shown()).toEqual(['complete', 'fail', 'abort']);
  });

  it('derives nothing from the status: a running run listing none shows none', () => {
    const { container } = render(<RunActions run={run('running', [])} onChanged={async () => {}} />);
    expect(container.innerHTML).toBe('');
  });

  it('a technician on a retired recipe may only abort', () => {
    render(<RunActions run={run('planned', ['abort'])} onChanged={async () => {}} />);
    expect(shown()).toEqual(['abort']);
  });

  it('keeps upload_results out of the life buttons', () => {
    expect(lifeActions(run('failed', ['upload_results']))).toEqual([]);
    expect(lifeActions(run('blocked', ['start', 'abort']))).toEqual(['start', 'abort']);
  });
});
