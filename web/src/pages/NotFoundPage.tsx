// Any path the UI does not know.

import { Link } from 'react-router-dom';

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link to="/projects">Back to projects</Link>
      </p>
    </section>
  );
}
