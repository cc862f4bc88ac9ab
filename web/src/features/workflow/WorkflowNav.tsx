// A workflow's sub-navigation: its page, then what takes a version from design to production
// (datasets, eval runs, gates, rollback, change requests, shadow runs) and the handoff pack. The sub-pages share
// one frame: where they are (Workflows / title / section), the heading and this navigation.
import type { ReactNode } from 'react';
import { api } from '../../lib/api';
import type { Workflow } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, useLocation } from '../../lib/router';
import { ErrorNote, Loading } from '../../components/ui/Status';
import './workflow.css';

export const workflowSections = [
  { path: '', label: 'Overview' },
  { path: '/datasets', label: 'Datasets' },
  { path: '/evals', label: 'Eval runs' },
  { path: '/gates', label: 'Gates' },
  { path: '/rollback', label: 'Rollback and drills' },
  { path: '/changes', label: 'Change requests' },
  { path: '/shadows', label: 'Shadow runs' },
  { path: '/handoff', label: 'Handoff pack' },
] as const;

export function WorkflowNav({ id }: { id: string }) {
  const { path } = useLocation();
  const base = `/workflows/${encodeURIComponent(id)}`;
  const current = (section: string) => (section === '' ? path === base : path === base + section || path.startsWith(`${base + section}/`)) ? 'page' : undefined;
  return (
    <nav className="wf-nav" aria-label="Workflow sections">
      {workflowSections.map((s) => <Link key={s.path} to={base + s.path} aria-current={current(s.path)}>{s.label}</Link>)}
    </nav>
  );
}

/** The frame of a workflow's sub-page: breadcrumb, heading, sub-navigation, then the page's own content. */
export function WorkflowFrame({ id, title, crumbs = [], children }: {
  id: string;
  title: string;
  /** Links between the workflow and this page (e.g. the eval runs list above one eval run). */
  crumbs?: { to: string; label: string }[];
  children: (workflow: Workflow) => ReactNode;
}) {
  const workflow = useResource(() => api.get<Workflow>(`/api/workflows/${encodeURIComponent(id)}`), [id]);
  const w = workflow.data;
  return (
    <>
      <p className="muted small">
        <Link to="/">Workflows</Link> / <Link to={`/workflows/${encodeURIComponent(id)}`}>{w?.title ?? id}</Link>
        {crumbs.map((c) => <span key={c.to}> / <Link to={c.to}>{c.label}</Link></span>)}
      </p>
      <h1>{title}</h1>
      <WorkflowNav id={id} />
      {w ? children(w) : workflow.error ? <ErrorNote error={workflow.error} /> : <Loading what="the workflow" />}
    </>
  );
}
