import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { decodeEntities, parseSnippet, Snippet } from './snippet';

describe('parseSnippet', () => {
  it('splits text and matches, several marks included', () => {
    expect(parseSnippet('Reference <mark>silicon</mark> peak, <mark>Si</mark> wafer')).toEqual([
      { text: 'Reference ', mark: false },
      { text: 'silicon', mark: true },
      { text: ' peak, ', mark: false },
      { text: 'Si', mark: true },
      { text: ' wafer', mark: false },
    ]);
  });

  it('decodes the server’s HTML escaping into plain text', () => {
    expect(parseSnippet('a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39; <mark>x&amp;y</mark>')).toEqual([
      { text: 'a <b> & "c" \'d\' ', mark: false },
      { text: 'x&y', mark: true },
    ]);
    // Decoded once only: an escaped entity stays an entity in the text.
    expect(decodeEntities('&amp;lt;')).toBe('&lt;');
  });

  it('survives unbalanced tags: a stray close is dropped, an open mark runs to the end', () => {
    expect(parseSnippet('one</mark> two <mark>three')).toEqual([
      { text: 'one two ', mark: false },
      { text: 'three', mark: true },
    ]);
    expect(parseSnippet('<mark><mark>a</mark></mark>b')).toEqual([
      { text: 'a', mark: true },
      { text: 'b', mark: false },
    ]);
    expect(parseSnippet('')).toEqual([]);
  });

  it('treats any other tag as text', () => {
    expect(parseSnippet('<b>x</b><MARK>y</MARK>')).toEqual([
      { text: '<b>x</b>', mark: false },
      { text: 'y', mark: true },
    ]);
  });
});

describe('<Snippet>', () => {
  it('renders marks as <mark> and everything else as text, never as HTML', () => {
    const { container } = render(
      <Snippet html={'<img src=x onerror="alert(1)"><script>alert(2)</script> &lt;i&gt;no&lt;/i&gt; <mark>silicon</mark> and <mark>Si</mark>'} />,
    );
    const marks = container.querySelectorAll('mark');
    expect([...marks].map((m) => m.textContent)).toEqual(['silicon', 'Si']);
    expect(container.querySelector('img, script, i')).toBeNull();
    expect(container.textContent).toBe('<img src=x onerror="alert(1)"><script>alert(2)</script> <i>no</i> silicon and Si');
  });
});
