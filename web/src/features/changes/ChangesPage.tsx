// /workflows/ID/changes: a workflow's change requests, newest first, with their status and the
// governed areas they touch; /workflows/ID/changes/REQUEST: one request with its diff against what
// production ran (side by side, as the versions diff), its decision, and approve or reject (a
// rejection needs a note) or withdraw. Who may decide is the server's call; a refusal is shown as it
// put it (the requester, the version's author, someone not named).
import { useState } from 'react';
import { api, ApiError } from '../../lib/api';
import type { ChangeRequest } from '../../lib/api-types';
import { useResource } from '../../lib/resource';
import { Link, setQuery, useLocation } from '../../lib/router';
import { useSession } from '../../lib/session';
import { ErrorNote, Loading } from '../../components/ui/Status';
import { Ago } from '../../components/ui/Time';
import { SideBySideDiff } from '../workflow/SideBySideDiff';
import { WorkflowFrame } from '../workflow/WorkflowNav';
import { Refusal } from '../../components/ui/Refusal';
import './changes.css';

const statusSet = { open: true, approved: true, rejected: true, withdrawn: true } satisfies Record<ChangeRequest['status'], true>;
const statuses = Object.keys(statusSet) as ChangeRequest['status'][];
const tone: Record<ChangeRequest['status'], string> = { open: 'wait', approved: 'good', rejected: 'bad', withdrawn: 'plain' };
const areaWords: Record<ChangeRequest['areas'][number], string> = {
  prompts: 'prompts', model_settings: 'model settings', grants: 'grants', approval_boundary: 'approval boundary',
};

function ChangeStatus({ value }: { value: ChangeRequest['status'] }) {
  return <span className={`status status-${tone[value]}`}>{value}</span>;
}

function changePath(workflowId: string, changeId?: string): string {
  return `/workflows/${encodeURIComponent(workflowId)}/changes${changeId ? `/${encodeURIComponent(changeId)}` : ''}`;
}

export function ChangesPage({ id }: { id: string }) {
  const { query } = useLocation();
  const status = statuses.find((s) => s === query.get('status'));
  const list = useResource(
    () => api.get<{ change_requests: ChangeRequest[] }>(`/api/workflows/${encodeURIComponent(id)}/change-requests`, { status }).then((r) => r.change_requests),
    [id, status],
  );
  return (
    <WorkflowFrame id={id} title="Change requests">
      {() => (
        <>
          <p className="muted small">A version that changes the prompts, model settings, grants or approval boundary of what production runs needs an approved change request before it is promoted. The owner or a named change approver decides; never the requester or the version's author.</p>
          <div className="filters">
            <label>
              Status
              <select value={status ?? ''} onChange={(e) => setQuery({ status: e.target.value })}>
                <option value="">any</option>
                {statuses.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </label>
          </div>
          <ErrorNote error={list.error} />
          {list.data === undefined ? (list.error ? null : <Loading what="the change requests" />) : list.data.length === 0 ? (
            <p className="muted">No change request{status ? ` ${status}` : ''}.</p>
          ) : (
            <div className="table-wrap">
              <table aria-label="Change requests">
                <thead><tr><th scope="col">Request</th><th scope="col">Change</th><th scope="col">Areas</th><th scope="col">Status</th><th scope="col">Asked by</th><th scope="col">Asked</th><th scope="col">Reason</th></tr></thead>
                <tbody>
                  {list.data.map((c) => (
                    <tr key={c.id}>
                      <th scope="row"><Link to={changePath(id, c.id)}><code>{c.id}</code></Link></th>
                      <td>v{c.from_version_number} → v{c.to_version_number}</td>
                      <td>{c.areas.map((a) => areaWords[a]).join(', ')}</td>
                      <td><ChangeStatus value={c.status} />{c.decided_by ? <div className="muted small">by {c.decided_by}</div> : null}</td>
                      <td className="wrap-anywhere">{c.requested_by}</td>
                      <td><Ago at={c.created_at} /></td>
                      <td className="cr-reason">{c.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </WorkflowFrame>
  );
}

export function ChangePage({ id, changeId }: { id: string; changeId: string }) {
  const request = useResource(() => api.get<ChangeRequest>(`/api/change-requests/${encodeURIComponent(changeId)}`), [changeId]);
  const [shown, setShown] = useState<ChangeRequest>();
  const c = shown?.id === changeId ? shown : request.data;
  return (
    <WorkflowFrame id={id} title={`Change request ${changeId}`} crumbs={[{ to: changePath(id), label: 'Change requests' }]}>
      {() => (
        <>
          <ErrorNote error={request.error} />
          {c === undefined ? (request.error ? null : <Loading what="the change request" />) : (
            <>
              <div className="card">
                <dl className="facts">
                  <dt>Status</dt><dd><ChangeStatus value={c.status} /></dd>
                  <dt>Change</dt><dd>production v{c.from_version_number} → v{c.to_version_number}</dd>
                  <dt>Areas</dt><dd>{c.areas.map((a) => areaWords[a]).join(', ')}</dd>
                  <dt>Asked by</dt><dd className="wrap-anywhere">{c.requested_by}, <Ago at={c.created_at} /></dd>
                  <dt>Reason</dt><dd className="cr-reason">{c.reason}</dd>
                  {c.decided_by ? <><dt>Decided by</dt><dd className="wrap-anywhere">{c.decided_by}, <Ago at={c.decided_at} /></dd></> : null}
                  {c.decision_note ? <><dt>Note</dt><dd className="cr-reason">{c.decision_note}</dd></> : null}
                </dl>
              </div>
              {c.status === 'open' ? <Decide request={c} onDecided={setShown} /> : null}
              <section aria-labelledby="diff-heading">
                <h2 id="diff-heading">What changes</h2>
                <SideBySideDiff diff={{ from: c.from_version_id, to: c.to_version_id, changes: c.diff }} fromLabel={`v${c.from_version_number}`} toLabel={`v${c.to_version_number}`} />
              </section>
            </>
          )}
        </>
      )}
    </WorkflowFrame>
  );
}

function Decide({ request, onDecided }: { request: ChangeRequest; onDecided(r: ChangeRequest): void }) {
  const { me } = useSession();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<string>();
  const [refusal, setRefusal] = useState<unknown>();
  const [noteMissing, setNoteMissing] = useState(false);
  const act = async (action: 'approve' | 'reject' | 'withdraw') => {
    if (action === 'reject' && note.trim() === '') {
      setNoteMissing(true);
      return;
    }
    setNoteMissing(false);
    setBusy(action);
    setRefusal(undefined);
    try {
      onDecided(await api.post<ChangeRequest>(`/api/change-requests/${encodeURIComponent(request.id)}/${action}`, note.trim() ? { note: note.trim() } : {}));
    } catch (e) {
      setRefusal(e);
    } finally {
      setBusy(undefined);
    }
  };
  const mine = request.requested_by.toLowerCase() === me.email.toLowerCase();
  const noteError = noteMissing || (refusal instanceof ApiError && refusal.problems.some((p) => p.path === 'note'));
  return (
    <section aria-labelledby="decide-heading" className="card cr-decide">
      <h2 id="decide-heading">Decide</h2>
      <label htmlFor="cr-note">Note <span className="muted small">(required to reject)</span></label>
      <textarea id="cr-note" rows={3} maxLength={4000} value={note} onChange={(e) => { setNote(e.target.value); setNoteMissing(false); }}
        aria-invalid={noteError || undefined} aria-describedby={noteMissing ? 'cr-note-missing' : undefined} />
      {noteMissing ? <p id="cr-note-missing" className="error" role="alert">A rejection needs a note: say why, so the requester knows what to change.</p> : null}
      <div className="actions">
        <button type="button" className="primary" disabled={busy !== undefined} onClick={() => void act('approve')}>{busy === 'approve' ? 'Approving…' : 'Approve'}</button>
        <button type="button" className="danger" disabled={busy !== undefined} onClick={() => void act('reject')}>{busy === 'reject' ? 'Rejecting…' : 'Reject'}</button>
        {mine ? <button type="button" disabled={busy !== undefined} onClick={() => void act('withdraw')}>Withdraw</button> : null}
      </div>
      {refusal ? <Refusal error={refusal} title="Refused" /> : null}
    </section>
  );
}
