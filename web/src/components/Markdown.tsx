import ReactMarkdown, { type Components } from 'react-markdown';

// The page has the one <h1>; a document's headings sit below it.
const headings: Components = { h1: 'h2', h2: 'h3', h3: 'h4', h4: 'h5', h5: 'h6' };

/**
 * Renders Markdown as React elements. Raw HTML in the source is not
 * rendered (react-markdown's default), so user content cannot inject any.
 */
export function Markdown({ source, testId }: { source: string; testId?: string }) {
  return (
    <div className="markdown" data-testid={testId}>
      {source.trim() ? (
        <ReactMarkdown components={headings}>{source}</ReactMarkdown>
      ) : (
        <p className="muted">Nothing written yet.</p>
      )}
    </div>
  );
}
