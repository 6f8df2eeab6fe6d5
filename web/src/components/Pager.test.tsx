import { act, render, screen } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';
import { useCursor, type Cursor } from './Pager';

// The hook's latest value, handed out of the render by a callback.
let pager: Cursor;
const keep = (c: Cursor) => {
  pager = c;
};
function Probe({ name, onRender = keep }: { name?: string; onRender?: (c: Cursor) => void }) {
  onRender(useCursor(name));
  const loc = useLocation();
  return <output data-testid="search">{loc.search}</output>;
}

const search = () => screen.getByTestId('search').textContent;

describe('useCursor', () => {
  it('keeps the walked cursors in the URL, keeping the other parameters', () => {
    render(
      <MemoryRouter initialEntries={['/samples?q=Si']}>
        <Probe />
      </MemoryRouter>,
    );
    expect(pager.page).toBe(1);
    expect(pager.cursor).toBeUndefined();
    act(() => pager.next('c1'));
    act(() => pager.next('c2'));
    expect(search()).toBe('?q=Si&after=c1&after=c2');
    expect(pager.page).toBe(3);
    expect(pager.cursor).toBe('c2');
    act(() => pager.prev());
    expect(search()).toBe('?q=Si&after=c1');
    act(() => pager.reset());
    expect(search()).toBe('?q=Si');
  });

  it('opens the page a URL names (a reload, a shared link)', () => {
    render(
      <MemoryRouter initialEntries={['/samples?after=c1&after=c2&alerts_after=x']}>
        <Probe />
      </MemoryRouter>,
    );
    expect(pager.page).toBe(3);
    expect(pager.cursor).toBe('c2');
  });

  it('a second list on the page has its own parameter', () => {
    render(
      <MemoryRouter initialEntries={['/spc?after=c1']}>
        <Probe name="alerts_after" />
      </MemoryRouter>,
    );
    expect(pager.page).toBe(1);
    act(() => pager.next('a1'));
    expect(search()).toBe('?after=c1&alerts_after=a1');
  });
});
