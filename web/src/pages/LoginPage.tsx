// Shown after any 401: the browser has no valid session cookie. Opening the login URL that
// `agentyard serve` printed sets it; pasting the token here goes to that same URL.

import { useState, type FormEvent } from 'react';

export function LoginPage() {
  const [token, setToken] = useState('');

  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = token.trim();
    if (!trimmed) return;
    window.location.assign(`/login?token=${encodeURIComponent(trimmed)}`);
  }

  return (
    <main className="login-page">
      <h1>Sign in to Agentyard</h1>
      <p>
        This browser has no valid session. When <code>agentyard serve</code> started, it printed an API
        token and a login URL. Opening that URL sets the session cookie; or paste the token below.
      </p>
      <p>
        The token is also saved in the data directory (<code>AGENTYARD_DATA_DIR</code>) unless it was given
        with <code>AGENTYARD_TOKEN</code>.
      </p>
      <form onSubmit={submit} className="form">
        <label htmlFor="login-token">API token</label>
        <input
          id="login-token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          required
        />
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
