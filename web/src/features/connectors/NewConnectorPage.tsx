// /connectors/new: an admin describes a new connector. Its secrets are only named here; saving
// leads to the connector's page, where their values are stored.
import { Link, navigate } from '../../lib/router';
import { useCan, useSession } from '../../lib/session';
import { ConnectorForm } from './ConnectorForm';
import { newFields } from './connector-fields';
import './connectors.css';

export function NewConnectorPage() {
  const { me } = useSession();
  const canCreate = useCan('connectors:write');
  return (
    <>
      <p className="runs-back"><Link to="/connectors">← All connectors</Link></p>
      <h1>New connector</h1>
      {!canCreate ? (
        <p className="notice">Only an admin creates connectors. A connector&apos;s owner changes it from its page.</p>
      ) : (
        <>
          <p className="muted small">
            Describe the source system and name its secrets. After saving you land on its page, where you store the secrets&apos; values and decide the grants.
          </p>
          <ConnectorForm initial={newFields('http', me.email)} creating onSaved={(c) => navigate(`/connectors/${encodeURIComponent(c.id)}`)} />
        </>
      )}
    </>
  );
}
