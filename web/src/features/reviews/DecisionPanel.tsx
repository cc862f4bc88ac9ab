// Deciding one task: approve, edit (JSON editor), reject with its reason, escalate with a note, and
// claim. What the person typed lives in the page's drafts (not here), so a refused or conflicting
// decision, a live refresh or moving to another task and back never loses it. A conflict (someone
// else decided or holds the task) is said plainly in an alert and the task is read again to show
// its final state.
import { useEffect, useId, useImperativeHandle, useRef, useState, type FormEvent, type KeyboardEvent, type Ref } from 'react';
import { api, ApiError, describeError, type FieldProblem } from '../../lib/api';
import type { ReviewDecided, ReviewDetail } from '../../lib/api-types';
import { useCan } from '../../lib/session';
import { Ago, Countdown } from '../../components/ui/Time';
import { JsonEditor, parseJson, pretty } from './JsonEditor';
import { decidedLine, isOpen, who } from './model';

export interface Draft {
  editing: boolean;
  output: string;
  reason: string;
  note: string;
  comment: string;
  problems: FieldProblem[];
  problemsFor?: string;
}

export const emptyDraft: Draft = { editing: false, output: '', reason: '', note: '', comment: '', problems: [] };

/** Whether a draft holds anything the person typed (so a decided task still shows it). */
export function hasText(d: Draft | undefined): boolean {
  return !!d && (d.editing || !!d.reason.trim() || !!d.note.trim());
}

export interface PanelAlert {
  kind: 'conflict' | 'error' | 'refused';
  detail: string;
}

/** What the page's shortcuts call. */
export interface PanelHandle {
  approve(): void;
  edit(): void;
  reject(): void;
  escalate(): void;
  claim(): void;
}

type Decision = 'approve' | 'edit' | 'reject' | 'escalate';
const ladder = ['reviewer', 'approver', 'admin'];

/** Where an escalation goes: the task's chain first, else up the ladder of global roles (as the server does). */
function nextRole(r: ReviewDetail): string | undefined {
  if (r.escalation_chain[0] !== undefined) return r.escalation_chain[0];
  const at = ladder.indexOf(r.assigned_role ?? 'reviewer');
  return at === -1 ? undefined : ladder[at + 1];
}

export function DecisionPanel({ review, me, draft, setDraft, alert, setAlert, onDecided, onChanged, handle }: {
  review: ReviewDetail;
  me: string;
  draft: Draft;
  setDraft(patch: Partial<Draft>): void;
  alert: PanelAlert | undefined;
  setAlert(a: PanelAlert | undefined): void;
  onDecided(result: ReviewDecided, decision: Decision): void;
  /** Read the task again (after a conflict or a claim). */
  onChanged(): void;
  handle: Ref<PanelHandle>;
}) {
  const id = useId();
  const canDecide = useCan('reviews:decide');
  const [busy, setBusy] = useState<string>();
  const [missing, setMissing] = useState<'reason' | 'note'>();
  const editorRef = useRef<HTMLTextAreaElement>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const [focusEditor, setFocusEditor] = useState(0);
  useEffect(() => {
    if (focusEditor) editorRef.current?.focus();
  }, [focusEditor]);

  const open = isOpen(review);
  const own = review.requested_by === me;
  const claimedByOther = review.state === 'claimed' && review.claimed_by !== me;
  const mayDecide = canDecide && open && !busy;
  const mayApprove = mayDecide && !own;

  async function decide(decision: Decision, body: Record<string, unknown>) {
    setBusy(decision);
    setAlert(undefined);
    try {
      const result = await api.post<ReviewDecided>(`/api/reviews/${encodeURIComponent(review.id)}/decision`, { decision, ...body });
      onDecided(result, decision);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setAlert({ kind: 'conflict', detail: e.detail });
        onChanged();
      } else if (e instanceof ApiError && e.status === 422 && decision === 'edit' && e.problems.length > 0) {
        setDraft({ problems: e.problems, problemsFor: draft.output });
        editorRef.current?.focus();
      } else if (e instanceof ApiError && e.status === 403) {
        setAlert({ kind: 'refused', detail: describeError(e) });
      } else {
        setAlert({ kind: 'error', detail: describeError(e) });
      }
    } finally {
      setBusy(undefined);
    }
  }

  const actions: PanelHandle = {
    approve() {
      if (mayApprove) void decide('approve', {});
    },
    edit() {
      if (!canDecide || !open) return;
      setDraft({ editing: true, output: draft.editing ? draft.output : pretty(review.proposed) });
      setFocusEditor((n) => n + 1);
    },
    reject() {
      reasonRef.current?.focus();
    },
    escalate() {
      noteRef.current?.focus();
    },
    claim() {
      void claim();
    },
  };
  useImperativeHandle(handle, () => actions);

  async function claim() {
    if (!open || busy) return;
    setBusy('claim');
    setAlert(undefined);
    try {
      const path = `/api/reviews/${encodeURIComponent(review.id)}/claim`;
      if (review.state === 'claimed' && review.claimed_by === me) await api.del(path);
      else await api.post(path, {});
    } catch (e) {
      setAlert(e instanceof ApiError && e.status === 409 ? { kind: 'conflict', detail: e.detail } : { kind: 'error', detail: describeError(e) });
    } finally {
      setBusy(undefined);
      onChanged();
    }
  }

  function submitEdit(e?: FormEvent) {
    e?.preventDefault();
    const parsed = parseJson(draft.output);
    if (!parsed.ok || !mayApprove) return editorRef.current?.focus();
    void decide('edit', { output: parsed.value });
  }

  function submitNote(kind: 'reject' | 'escalate', e?: FormEvent) {
    e?.preventDefault();
    const text = kind === 'reject' ? draft.reason : draft.note;
    if (!text.trim()) {
      setMissing(kind === 'reject' ? 'reason' : 'note');
      return (kind === 'reject' ? reasonRef : noteRef).current?.focus();
    }
    setMissing(undefined);
    if (mayDecide) void decide(kind, { comment: text });
  }

  const sendOnCtrlEnter = (send: () => void) => (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  };

  if (!open && !alert && !hasText(draft)) {
    return (
      <section className="card rq-decide" aria-labelledby={`${id}-h`}>
        <h3 id={`${id}-h`}>Decision</h3>
        <p className="notice" role="status">{decidedLine(review, me)}{review.decided_at ? <> · <Ago at={review.decided_at} /></> : null}</p>
      </section>
    );
  }

  const up = nextRole(review);
  return (
    <section className="card rq-decide" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Decide</h3>
      {alert ? <AlertBox alert={alert} review={review} me={me} /> : null}
      {!open && !alert ? <p className="notice" role="status">{decidedLine(review, me)}. Your text is kept below.</p> : null}
      {!canDecide ? <p className="notice">You may read this queue but not decide tasks (no reviews:decide right).</p> : null}
      {canDecide && open && own ? <p className="notice">You asked for this run, so someone else approves or edits it; you may still reject or escalate.</p> : null}
      {claimedByOther ? (
        <p className="notice">Claimed by {review.claimed_by} (<Countdown at={review.claimed_until} label="frees" />): they decide it unless the claim lapses.</p>
      ) : null}
      <div className="actions">
        <button type="button" className="primary" onClick={actions.approve} disabled={!mayApprove} aria-keyshortcuts="a">
          {busy === 'approve' ? 'Approving…' : review.quorum > 1 ? `Approve (${review.approvals.length} of ${review.quorum})` : 'Approve'} <kbd aria-hidden="true">a</kbd>
        </button>
        <button type="button" onClick={actions.edit} disabled={!mayApprove} aria-expanded={draft.editing} aria-keyshortcuts="e">
          Edit output <kbd aria-hidden="true">e</kbd>
        </button>
        <button type="button" onClick={actions.claim} disabled={!open || !!busy || claimedByOther} aria-keyshortcuts="c">
          {review.state === 'claimed' && review.claimed_by === me ? 'Release claim' : 'Claim'} <kbd aria-hidden="true">c</kbd>
        </button>
      </div>
      {draft.editing ? (
        <form onSubmit={submitEdit} aria-label="Edit the output">
          <JsonEditor
            text={draft.output} onChange={(output) => setDraft({ output })} proposed={review.proposed} problems={draft.problems}
            problemsFor={draft.problemsFor} onSubmit={() => submitEdit()} editorRef={editorRef}
          />
          <div className="actions">
            <button type="submit" className="primary" disabled={!mayApprove || !parseJson(draft.output).ok}>{busy === 'edit' ? 'Sending…' : 'Send the edited output'}</button>
            <button type="button" onClick={() => setDraft({ editing: false, output: '', problems: [], problemsFor: undefined })}>Discard the edit</button>
          </div>
        </form>
      ) : null}
      <div className="rq-notes">
        <form onSubmit={(e) => submitNote('reject', e)} aria-label="Reject" className="rq-note">
          <label htmlFor={`${id}-reason`}>Reject: the reason (required)</label>
          <textarea
            id={`${id}-reason`} ref={reasonRef} rows={2} value={draft.reason} aria-required="true" aria-invalid={missing === 'reason'}
            aria-describedby={missing === 'reason' ? `${id}-reason-missing` : undefined}
            onChange={(e) => setDraft({ reason: e.target.value })} onKeyDown={sendOnCtrlEnter(() => submitNote('reject'))}
          />
          {missing === 'reason' ? <p id={`${id}-reason-missing`} className="error" role="alert">Write the reason first: it is kept with the decision.</p> : null}
          <button type="submit" className="danger" disabled={!mayDecide} aria-keyshortcuts="r">{busy === 'reject' ? 'Rejecting…' : 'Reject'} <kbd aria-hidden="true">r</kbd></button>
        </form>
        <form onSubmit={(e) => submitNote('escalate', e)} aria-label="Escalate" className="rq-note">
          <label htmlFor={`${id}-note`}>Escalate{up ? ` to ${up}` : ''}: a note for the next person (required)</label>
          <textarea
            id={`${id}-note`} ref={noteRef} rows={2} value={draft.note} aria-required="true" aria-invalid={missing === 'note'}
            aria-describedby={missing === 'note' ? `${id}-note-missing` : undefined}
            onChange={(e) => setDraft({ note: e.target.value })} onKeyDown={sendOnCtrlEnter(() => submitNote('escalate'))}
          />
          {missing === 'note' ? <p id={`${id}-note-missing`} className="error" role="alert">Write a note first: the next person reads it.</p> : null}
          <button type="submit" disabled={!mayDecide || !up} aria-keyshortcuts="x">
            {busy === 'escalate' ? 'Escalating…' : up ? `Escalate to ${up}` : 'Nobody further to escalate to'} <kbd aria-hidden="true">x</kbd>
          </button>
        </form>
      </div>
    </section>
  );
}

/** The alert after a refused decision; a conflict names who decided, once the task is read again. */
function AlertBox({ alert, review, me }: { alert: PanelAlert; review: ReviewDetail; me: string }) {
  const box = useRef<HTMLDivElement>(null);
  // The decision may have been sent by a key from anywhere on the page: bring its answer into view.
  useEffect(() => box.current?.scrollIntoView({ block: 'nearest' }), [alert]);
  if (alert.kind !== 'conflict') return <div className="error" role="alert" ref={box}><p>{alert.kind === 'refused' ? 'Not allowed: ' : ''}{alert.detail}</p></div>;
  const decided = !isOpen(review);
  return (
    <div className="error rq-conflict" role="alert" ref={box}>
      <p><strong>{decided ? decidedLine(review, me) : review.state === 'claimed' ? `Someone else holds this task: ${who(review.claimed_by, me)}` : 'Someone else changed this task first'}</strong></p>
      <p>Keel answered: {alert.detail} Nothing of yours was decided; what you typed is kept below.</p>
    </div>
  );
}
