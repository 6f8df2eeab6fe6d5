import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Markdown } from './Markdown';

describe('<Markdown>', () => {
  it('renders Markdown, headings below the page’s h1, and no raw HTML', () => {
    const { container } = render(
      <Markdown source={'# Title\n\nSome **bold**.\n\n<script>window.x=1</script><img src=x onerror=alert(1)>\n\n[bad](javascript:alert(1))'} />,
    );
    expect(container.querySelector('h1')).toBeNull();
    expect(container.querySelector('h2')?.textContent).toBe('Title');
    expect(container.querySelector('strong')?.textContent).toBe('bold');
    expect(container.querySelector('script, img')).toBeNull();
    expect(container.querySelector('a')?.getAttribute('href') ?? '').not.toMatch(/javascript:/i);
  });
});
