// The page: who is signed in, the header, and which view the path asks for.
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, ApiError, describeError, setCsrfToken } from './lib/api';
import type { Me } from './lib/api-types';
import { useLiveMode } from './lib/live';
import { Link, matchPath, navigate, useLocation } from './lib/router';
import { SessionContext, useCan } from './lib/session';
import { SignInPage } from './features/auth/SignInPage';
import { OverviewPage } from './features/overview/OverviewPage';
import { WorkflowPage } from './features/workflow/WorkflowPage';
import { RunsPage } from './features/runs/RunsPage';
import { RunPage } from './features/runs/RunPage';
import { ReviewsPage } from './features/reviews/ReviewsPage';
import { ConnectorsPage } from './features/connectors/ConnectorsPage';
import { ConnectorPage } from './features/connectors/ConnectorPage';
import { NewConnectorPage } from './features/connectors/NewConnectorPage';
import { AccessPage } from './features/access/AccessPage';

// Pages few visits need are loaded when first opened, so the first load stays small.
const IncidentsPage = lazy(() => import('./features/incidents/IncidentsPage').then((m) => ({ default: m.IncidentsPage })));
const TracePage = lazy(() => import('./features/traces/TracePage').then((m) => ({ default: m.TracePage })));
const DatasetsPage = lazy(() => import('./features/evals/DatasetsPage').then((m) => ({ default: m.DatasetsPage })));
const EvalsPage = lazy(() => import('./features/evals/EvalsPage').then((m) => ({ default: m.EvalsPage })));
const EvalRunPage = lazy(() => import('./features/evals/EvalRunPage').then((m) => ({ default: m.EvalRunPage })));
const EvalComparePage = lazy(() => import('./features/evals/EvalComparePage').then((m) => ({ default: m.EvalComparePage })));
const GatesPage = lazy(() => import('./features/promotion/GatesPage').then((m) => ({ default: m.GatesPage })));
const RollbackPage = lazy(() => import('./features/promotion/RollbackPage').then((m) => ({ default: m.RollbackPage })));
const ChangesPage = lazy(() => import('./features/changes/ChangesPage').then((m) => ({ default: m.ChangesPage })));
const ChangePage = lazy(() => import('./features/changes/ChangesPage').then((m) => ({ default: m.ChangePage })));
const ShadowsPage = lazy(() => import('./features/evals/ShadowsPage').then((m) => ({ default: m.ShadowsPage })));
const ShadowPage = lazy(() => import('./features/evals/ShadowsPage').then((m) => ({ default: m.ShadowPage })));
const HandoffPage = lazy(() => import('./features/handoff/HandoffPage').then((m) => ({ default: m.HandoffPage })));

export function App() {
  const [me, setMe] = useState<Me | null>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api.get<Me>('/api/auth/me').then(
      (m) => {
        setCsrfToken(m.csrf_token);
        setMe(m);
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 401) setMe(null);
        else setError(describeError(e));
      },
    );
  }, []);
  useEffect(load, [load]);
  const signOut = useCallback(async () => {
    await api.post('/api/auth/sign-out');
    setCsrfToken(undefined);
    setMe(null);
    navigate('/sign-in');
  }, []);
  if (error) return <main><p className="error" role="alert">{error}</p></main>;
  if (me === undefined) return <main><p className="muted" role="status">Loading…</p></main>;
  if (me === null) return <SignInPage onSignedIn={() => { if (location.pathname === '/sign-in') navigate('/', { replace: true }); load(); }} />;
  return (
    <SessionContext.Provider value={{ me, signOut }}>
      <Shell />
    </SessionContext.Provider>
  );
}

function Shell() {
  const { path } = useLocation();
  return (
    <>
      <Header path={path} />
      <main id="main"><Suspense fallback={<p className="muted" role="status">Loading…</p>}>{route(path)}</Suspense></main>
    </>
  );
}

function route(path: string) {
  let p: Record<string, string> | undefined;
  if (matchPath('/', path) || matchPath('/sign-in', path)) return <OverviewPage />;
  if ((p = matchPath('/workflows/{id}', path))) return <WorkflowPage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/datasets', path))) return <DatasetsPage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/evals', path))) return <EvalsPage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/evals/compare', path))) return <EvalComparePage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/evals/{evalId}', path))) return <EvalRunPage id={p.id!} evalId={p.evalId!} />;
  if ((p = matchPath('/workflows/{id}/gates', path))) return <GatesPage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/rollback', path))) return <RollbackPage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/changes', path))) return <ChangesPage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/changes/{changeId}', path))) return <ChangePage id={p.id!} changeId={p.changeId!} />;
  if ((p = matchPath('/workflows/{id}/shadows', path))) return <ShadowsPage id={p.id!} />;
  if ((p = matchPath('/workflows/{id}/shadows/{shadowId}', path))) return <ShadowPage id={p.id!} shadowId={p.shadowId!} />;
  if ((p = matchPath('/workflows/{id}/handoff', path))) return <HandoffPage id={p.id!} />;
  if (matchPath('/runs', path)) return <RunsPage />;
  if ((p = matchPath('/runs/{id}', path))) return <RunPage id={p.id!} />;
  if (matchPath('/reviews', path)) return <ReviewsPage />;
  if ((p = matchPath('/reviews/{id}', path))) return <ReviewsPage selected={p.id!} />;
  if (matchPath('/connectors', path)) return <ConnectorsPage />;
  if (matchPath('/connectors/new', path)) return <NewConnectorPage />;
  if ((p = matchPath('/connectors/{id}', path))) return <ConnectorPage id={p.id!} />;
  if (matchPath('/access', path)) return <AccessPage />;
  if (matchPath('/incidents', path)) return <IncidentsPage />;
  if ((p = matchPath('/traces/{traceId}', path))) return <TracePage traceId={p.traceId!} />;
  return <p>No page here. <Link to="/">Go to the overview</Link>.</p>;
}

function Header({ path }: { path: string }) {
  const mode = useLiveMode();
  // Connectors and access are for people who work with workflows' access (not a reviewer only).
  const seesConnectors = useCan('connectors:read');
  const here = (prefix: string) => (prefix === '/' ? path === '/' || path.startsWith('/workflows') : path.startsWith(prefix)) ? 'page' : undefined;
  return (
    <header className="top">
      <a className="skip" href="#main">Skip to content</a>
      <strong className="brand">Keel</strong>
      <nav aria-label="Main">
        <Link to="/" aria-current={here('/')}>Workflows</Link>
        <Link to="/runs" aria-current={here('/runs')}>Runs</Link>
        <Link to="/reviews" aria-current={here('/reviews')}>Review queue</Link>
        <Link to="/incidents" aria-current={here('/incidents')}>Incidents</Link>
        {seesConnectors ? <Link to="/connectors" aria-current={here('/connectors')}>Connectors</Link> : null}
        {seesConnectors ? <Link to="/access" aria-current={here('/access')}>Access</Link> : null}
      </nav>
      <span className={`live live-${mode}`} role="status" title={mode === 'polling' ? 'Live updates are not reaching this page; it refreshes every 5 s' : undefined}>
        {mode === 'live' ? 'live' : mode === 'polling' ? 'polling' : 'connecting'}
      </span>
      <UserMenu />
    </header>
  );
}

function UserMenu() {
  return <SessionContext.Consumer>{(s) => s ? (
    <span className="user">
      <span>{s.me.display_name}</span>
      <button type="button" className="link" onClick={() => void s.signOut()}>Sign out</button>
    </span>
  ) : null}</SessionContext.Consumer>;
}
