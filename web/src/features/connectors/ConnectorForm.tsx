// Creating a connector (admins) or changing one (its owner or an admin), one form for both: the
// config is a JSON textarea checked as it is typed, prefilled with the kind's example, and the
// server's refusals are placed beside the fields they name. Secrets are named here, never written:
// their values are stored on the connector's page once it exists.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, describeError, type FieldProblem } from '../../lib/api';
import type { Connector } from '../../lib/api-types';
import { bodyOf, parseConfig, placeProblem, type ConnectorFields, type FieldName } from './connector-fields';
import { exampleText, kindExample, kindExamples } from './kind-examples';

type Placed = Partial<Record<FieldName, FieldProblem[]>>;

interface Refusal {
  detail: string;
  hint?: string;
  /** Problems naming no field of the form. */
  other: FieldProblem[];
}

export function ConnectorForm({ initial, creating, onSaved, onCancel }: {
  initial: ConnectorFields;
  creating: boolean;
  onSaved(connector: Connector): void;
  /** Edit only: closes the form (creating has a link back to the list instead). */
  onCancel?(): void;
}) {
  const base = useId();
  const [fields, setFields] = useState(initial);
  const [placed, setPlaced] = useState<Placed>({});
  const [refusal, setRefusal] = useState<Refusal>();
  const [busy, setBusy] = useState(false);
  const idOf = (name: FieldName) => `${base}-${name}`;
  const set = (name: FieldName, value: string) => {
    setFields((f) => ({ ...f, [name]: value }));
    setPlaced((p) => ({ ...p, [name]: undefined }));
  };
  const chooseKind = (kind: string) => {
    const untouched = fields.config.trim() === '' || fields.config === exampleText(fields.kind);
    setFields((f) => ({ ...f, kind, config: untouched ? exampleText(kind) : f.config }));
    setPlaced((p) => ({ ...p, kind: undefined }));
  };
  const syntax = parseConfig(fields.config);
  const kind = kindExample(fields.kind);

  function show(problems: FieldProblem[], detail: string, hint?: string) {
    const next: Placed = {};
    const other: FieldProblem[] = [];
    for (const problem of problems) {
      const { path, field } = placeProblem(problem);
      if (field) (next[field] ??= []).push({ ...problem, path });
      else other.push({ ...problem, path });
    }
    setPlaced(next);
    setRefusal({ detail, hint, other });
    const first = (Object.keys(next) as FieldName[])[0];
    if (first) document.getElementById(idOf(first))?.focus();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const checked = bodyOf(fields, creating);
    if (!checked.ok) return show(checked.problems, 'Fix the fields marked above; nothing was sent.');
    setBusy(true);
    setRefusal(undefined);
    setPlaced({});
    const id = fields.id.trim();
    try {
      // PUT creates or changes: a new connector must not silently replace one of the same id.
      if (creating && await exists(id)) return show([{ path: 'id', message: `a connector ${id} exists already; open its page to change it` }], 'Nothing was saved.');
      onSaved(await api.put<Connector>(`/api/connectors/${encodeURIComponent(id)}`, checked.body));
    } catch (e) {
      if (e instanceof ApiError) show(e.problems, e.problems.length > 0 ? `${e.detail} Nothing was saved; see the problems beside the fields.` : e.detail, e.hint);
      else setRefusal({ detail: describeError(e), other: [] });
    } finally {
      setBusy(false);
    }
  }

  const field = (name: FieldName, label: string, control: (props: ControlProps) => ReactNode, hint?: ReactNode, after?: ReactNode) => (
    <Field id={idOf(name)} label={label} hint={hint} problems={placed[name]} control={control} after={after} />
  );
  const text = (name: FieldName, extra: { required?: boolean; readOnly?: boolean; pattern?: string; inputMode?: 'numeric' | 'email' } = {}) =>
    (props: ControlProps) => <input {...props} {...extra} value={fields[name]} onChange={(e) => set(name, e.target.value)} autoComplete="off" spellCheck={false} />;

  return (
    <form className="kc-form" onSubmit={submit} aria-label={creating ? 'New connector' : `Edit connector ${initial.id}`}>
      <div className="kc-pair">
        {field('id', 'Id', text('id', { required: true, readOnly: !creating, pattern: '[a-z0-9][a-z0-9_.\\-]{0,99}' }),
          creating ? 'Lower-case letters, digits, _, - and .; workflows name it, so it never changes.' : 'Fixed: workflows name it.')}
        {field('kind', 'Kind', (props) => creating ? (
          <select {...props} value={fields.kind} onChange={(e) => chooseKind(e.target.value)}>
            {kindExamples.map((k) => <option key={k.kind} value={k.kind}>{k.kind}: {k.what}</option>)}
          </select>
        ) : <input {...props} value={fields.kind} readOnly />, kind ? <>Config: {kind.takes}.{creating ? null : ' The kind never changes.'}</> : null)}
      </div>
      {field('title', 'Title', text('title', { required: true }))}
      <div className="kc-pair">
        {field('owner', 'Owner', text('owner', { inputMode: 'email', required: true }), 'Decides the grants on it and may change it.')}
        {field('credential_owner', 'Credential owner (optional)', text('credential_owner', { inputMode: 'email' }), 'Who holds the credential at the source system and rotates it.')}
      </div>
      <div className="kc-pair">
        {field('rotation_days', 'Rotation days (optional)', text('rotation_days', { inputMode: 'numeric' }), 'Its secrets are due for rotation this many days after each is stored.')}
        {field('allow_hosts', 'Allow-listed hosts (optional)', (props) => (
          <textarea {...props} className="kc-code" rows={2} value={fields.allow_hosts} onChange={(e) => set('allow_hosts', e.target.value)} spellCheck={false} />
        ), 'Private or loopback hosts (host or host:port) it alone may reach; comma or line separated.')}
      </div>
      {field('config', 'Config (JSON)', (props) => (
        <textarea
          {...props} className="kc-code" rows={Math.min(20, Math.max(6, fields.config.split('\n').length + 1))} value={fields.config}
          onChange={(e) => set('config', e.target.value)} spellCheck={false} aria-invalid={!syntax.ok || props['aria-invalid']}
          aria-describedby={`${props['aria-describedby']} ${base}-syntax`}
        />
      ), <>Name secrets in <code>…_secret</code> fields, never their values: {creating ? 'you store the values on the connector\'s page once it is saved' : 'store their values under Secrets on this page'}.</>,
      <p id={`${base}-syntax`} className={syntax.ok ? 'kc-hint' : 'kc-problems'} aria-live="polite">{syntax.ok ? 'Valid JSON.' : syntax.message}</p>)}
      {creating && fields.config !== exampleText(fields.kind) ? (
        <p><button type="button" onClick={() => set('config', exampleText(fields.kind))}>Use the {fields.kind} example config</button></p>
      ) : null}
      {refusal ? (
        <div className="error" role="alert">
          <p>{refusal.detail}</p>
          {refusal.other.length > 0 ? <ProblemList problems={refusal.other} /> : null}
          {refusal.hint ? <p className="muted">{refusal.hint}</p> : null}
        </div>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{creating ? 'Create connector' : 'Save changes'}</button>
        {onCancel ? <button type="button" onClick={onCancel}>Cancel</button> : null}
      </div>
    </form>
  );
}

async function exists(id: string): Promise<boolean> {
  try {
    await api.get(`/api/connectors/${encodeURIComponent(id)}`);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

interface ControlProps {
  id: string;
  'aria-describedby': string;
  'aria-invalid': boolean;
}

function Field({ id, label, hint, problems = [], control, after }: {
  id: string; label: string; hint?: ReactNode; problems?: FieldProblem[]; control(props: ControlProps): ReactNode;
  /** Shown right under the control (the config's syntax check). */
  after?: ReactNode;
}) {
  return (
    <div className="kc-field">
      <label htmlFor={id}>{label}</label>
      {control({ id, 'aria-describedby': `${hint ? `${id}-hint ` : ''}${id}-problems`, 'aria-invalid': problems.length > 0 })}
      {after}
      {hint ? <p id={`${id}-hint`} className="kc-hint">{hint}</p> : null}
      <div id={`${id}-problems`}>{problems.length > 0 ? <ProblemList problems={problems} /> : null}</div>
    </div>
  );
}

function ProblemList({ problems }: { problems: FieldProblem[] }) {
  return <ul className="kc-problems">{problems.map((p, i) => <li key={i}><code>{p.path}</code>: {p.message}{p.hint ? ` (${p.hint})` : ''}</li>)}</ul>;
}
