// The connector page's Edit control: for its owner or an admin, and only for a connector made
// through the API. A connector described in a connectors/*.yaml file is changed in its file, so the
// file stays its one description; the page says so instead of offering a form the server refuses.
import { useRef, useState } from 'react';
import type { Connector } from '../../lib/api-types';
import { useSession } from '../../lib/session';
import { ConnectorForm } from './ConnectorForm';
import { fieldsOf } from './connector-fields';
import { sameEmail } from './grant-model';

export function ConnectorEdit({ connector, onSaved }: { connector: Connector; onSaved(): void }) {
  const { me } = useSession();
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState<string>();
  const toggle = useRef<HTMLButtonElement>(null);
  const mayChange = me.permissions.includes('connectors:write') || sameEmail(connector.owner, me.email);
  if (!mayChange) return null;
  if (connector.source === 'file') {
    return <p className="notice" role="note">It is described in a <code>connectors/*.yaml</code> file: change it there and restart Keel (the dashboard does not edit it).</p>;
  }
  const close = (text?: string) => {
    setOpen(false);
    setMessage(text);
    toggle.current?.focus();
  };
  return (
    <div className="kc-edit">
      <button ref={toggle} type="button" aria-expanded={open} onClick={() => { setMessage(undefined); setOpen(!open); }}>
        Edit
      </button>
      <p className="kc-flash" role="status">{message}</p>
      {open ? (
        <div className="card">
          <ConnectorForm
            initial={fieldsOf(connector)} creating={false} onCancel={() => close()}
            onSaved={(saved) => { close(`Saved ${saved.id}.`); onSaved(); }}
          />
        </div>
      ) : null}
    </div>
  );
}
