import { Link, isRouteErrorResponse, useRouteError } from 'react-router';

export function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the dashboard</Link>.
      </p>
    </section>
  );
}

export function Forbidden() {
  return (
    <section className="page">
      <h1>Not available to your role</h1>
      <p>Ask an administrator if you need access.</p>
    </section>
  );
}

export function RouteError() {
  const err = useRouteError();
  const message = isRouteErrorResponse(err) ? `${err.status} ${err.statusText}` : err instanceof Error ? err.message : 'Unknown error';
  return (
    <section className="page">
      <h1>Something went wrong</h1>
      <div className="alert alert-error" role="alert">
        {message}
      </div>
      <p>
        <a href="/">Reload the app</a>
      </p>
    </section>
  );
}
