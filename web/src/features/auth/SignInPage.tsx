// Sign-in: email and password, and single sign-on when the server has a provider configured.
import { useEffect, useState, type FormEvent } from 'react';
import { api, describeError } from '../../lib/api';

interface Providers {
  password: boolean;
  oidc: { label: string; start_url: string } | null;
}

export function SignInPage({ onSignedIn }: { onSignedIn(): void }) {
  const [providers, setProviders] = useState<Providers>();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.get<Providers>('/api/auth/providers').then(setProviders, (e: unknown) => setError(describeError(e)));
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/api/auth/sign-in', { email, password });
      onSignedIn();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const returnTo = location.pathname === '/sign-in' ? '/' : location.pathname + location.search;
  return (
    <main className="sign-in">
      <h1>Sign in to Keel</h1>
      <form onSubmit={submit} aria-label="Password sign-in">
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      {providers?.oidc ? (
        <p><a className="button" href={`${providers.oidc.start_url}?return_to=${encodeURIComponent(returnTo)}`}>Sign in with {providers.oidc.label}</a></p>
      ) : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
    </main>
  );
}
