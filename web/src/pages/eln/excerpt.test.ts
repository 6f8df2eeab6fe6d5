import { describe, expect, it } from 'vitest';
import { excerpt } from './excerpt';

describe('excerpt', () => {
  it('drops Markdown markers but keeps the text, minus signs and hyphens included', () => {
    expect(excerpt('## Aim\n\nCheck **turn-on** at `-2 V`.\n\n- a\n1. b\n> c')).toBe('Aim Check turn-on at -2 V. a b c');
  });
  it('cuts long text', () => {
    expect(excerpt('x'.repeat(10), 4)).toBe('xxxx…');
  });
});
