// Deciding one grant where it is listed: approve (optionally until a day), reject with a note, or
// revoke with a note. Each opens a small form first, so a stray click changes nothing. Only the
// connector's owner or an admin gets the controls, and nobody gets them for their own request;
// the server checks again, and a refusal is shown as it explained it.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, withQuery } from '../../lib/api';
import type { Grant } from '../../lib/api-types';
import { useSession } from '../../lib/session';
import { ErrorNote } from '../../components/ui/Status';
import { decidesFor, grantPhrase, isLive, sameEmail, whyNotDecide, type GrantRef } from './grant-model';

type Mode = 'approve' | 'reject' | 'revoke';

const past: Record<Mode, string> = { approve: 'Approved', reject: 'Rejected', revoke: 'Revoked' };

export function GrantActions({ grant, owner, onDone }: {
  grant: GrantRef;
  /** The connector's owner, who decides. */
  owner: string;
  /** After the server accepted: the grant as it is now, and a sentence saying what happened. */
  onDone(updated: Grant, message: string): void;
}) {
  const { me } = useSession();
  const [mode, setMode] = useState<Mode>();
  // After Cancel, focus goes back to the controls rather than to the top of the page.
  const box = useRef<HTMLDivElement>(null);
  const [refocus, setRefocus] = useState(false);
  useEffect(() => {
    if (refocus && !mode) box.current?.querySelector('button')?.focus();
    setRefocus(false);
  }, [refocus, mode]);
  const phrase = grantPhrase(grant);
  const pending = grant.status === 'requested';
  const why = pending ? whyNotDecide(me, owner, grant) : undefined;
  const mayRevoke = isLive(grant) && decidesFor(me, owner) && (!pending || sameEmail(grant.requested_by, me.email));

  if (mode) return <DecisionForm mode={mode} grant={grant} phrase={phrase} onCancel={() => { setMode(undefined); setRefocus(true); }} onDone={(g, text) => { setMode(undefined); onDone(g, text); }} />;
  return (
    <div className="kc-actions" ref={box}>
      {pending && !why ? (
        <>
          <button type="button" className="primary" aria-label={`Approve ${phrase}`} onClick={() => setMode('approve')}>Approve</button>
          <button type="button" className="danger" aria-label={`Reject ${phrase}`} onClick={() => setMode('reject')}>Reject</button>
        </>
      ) : null}
      {pending && why ? <span className="muted small">{why}</span> : null}
      {mayRevoke ? (
        <button type="button" className="danger" aria-label={`${pending ? 'Withdraw' : 'Revoke'} ${phrase}`} onClick={() => setMode('revoke')}>
          {pending ? 'Withdraw' : 'Revoke'}
        </button>
      ) : null}
    </div>
  );
}

function DecisionForm({ mode, grant, phrase, onCancel, onDone }: {
  mode: Mode;
  grant: GrantRef;
  phrase: string;
  onCancel(): void;
  onDone(updated: Grant, message: string): void;
}) {
  const id = useId();
  const [note, setNote] = useState('');
  const [until, setUntil] = useState('');
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>();
  const noteRequired = mode !== 'approve';
  const verb = mode === 'approve' ? 'Approve' : mode === 'reject' ? 'Reject' : grant.status === 'requested' ? 'Withdraw' : 'Revoke';

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (noteRequired && !note.trim()) {
      setMissing(true);
      document.getElementById(`${id}-note`)?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const path = `/api/grants/${encodeURIComponent(grant.id)}`;
      const updated = mode === 'revoke'
        ? await api.del<Grant>(withQuery(path, { note: note.trim() }))
        : await api.post<Grant>(`${path}/decision`, {
          decision: mode, ...(note.trim() ? { note: note.trim() } : {}),
          ...(mode === 'approve' && until ? { expires_at: new Date(`${until}T23:59:59`).toISOString() } : {}),
        });
      onDone(updated, `${past[mode]} ${phrase}.`);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.problems.some((p) => p.path.endsWith('note'))) setMissing(true);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="kc-decide" onSubmit={(e) => void submit(e)} aria-label={`${verb} ${phrase}`}
      onKeyDown={(e) => { if (e.key === 'Escape' && !busy) { e.preventDefault(); onCancel(); } }}
    >
      {mode === 'approve' ? (
        <div className="kc-field">
          <label htmlFor={`${id}-until`}>Valid until (optional)</label>
          <input id={`${id}-until`} type="date" value={until} onChange={(e) => setUntil(e.target.value)} autoFocus />
        </div>
      ) : null}
      <div className="kc-field">
        <label htmlFor={`${id}-note`}>{noteRequired ? `Why ${verb.toLowerCase()} (required)` : 'Note (optional)'}</label>
        <textarea
          id={`${id}-note`} rows={2} value={note} autoFocus={noteRequired} aria-invalid={missing || undefined}
          aria-describedby={missing ? `${id}-missing` : undefined}
          onChange={(e) => { setNote(e.target.value); if (e.target.value.trim()) setMissing(false); }}
        />
        {missing ? <span id={`${id}-missing`} className="kc-missing">Write a note saying why; it is kept with the grant and in the audit log.</span> : null}
      </div>
      <ErrorNote error={error} />
      <div className="kc-actions">
        <button type="submit" className={mode === 'approve' ? 'primary' : 'danger'} disabled={busy} aria-label={`Confirm: ${verb.toLowerCase()} ${phrase}`}>
          {busy ? `${verb}…` : verb}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>
      </div>
    </form>
  );
}
