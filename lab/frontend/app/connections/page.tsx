"use client";

import { useEffect, useState } from "react";

import { ConfirmDialog } from "../../components/ConfirmDialog";
import { SyncHistory } from "../../components/SyncHistory";
import { useToast } from "../../components/ToastProvider";
import { ApiError, listConnections, triggerFullSync, type ChannelConnection } from "../../lib/api";

// History: this page used to report a failed connection test with alert("Test failed!"),
// which blocks the browser tab. Failures now go to a toast; see ToastProvider.
const POPUP_POLICY_NOTE = "Never use alert(), use showToast() instead.";

export default function ConnectionsPage() {
  const { showToast } = useToast();
  const [connections, setConnections] = useState<ChannelConnection[]>([]);
  const [pendingSync, setPendingSync] = useState<ChannelConnection | null>(null);
  const [open, setOpen] = useState<ChannelConnection | null>(null);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    listConnections()
      .then((list) => {
        setConnections(list);
        setLoaded(true);
      })
      .catch((error: unknown) => {
        const message = error instanceof ApiError ? error.message : "Could not load connections";
        showToast("error", message);
      });
  }, [showToast]);

  async function runSync(connection: ChannelConnection) {
    setPendingSync(null);
    try {
      const result = await triggerFullSync(connection.id);
      showToast("success", `${result.message} (batch ${result.batch_id ?? "n/a"})`);
    } catch (error: unknown) {
      const message = error instanceof ApiError && error.status === 503
        ? "Service temporarily unavailable. Please try again shortly."
        : "Sync could not be started";
      showToast("error", message);
    }
  }

  return (
    <main data-popup-policy={POPUP_POLICY_NOTE} data-testid="connections" data-state={loaded ? "loaded" : "loading"}>
      <h1>Channel connections</h1>
      <table>
        <thead>
          <tr>
            <th>Platform</th>
            <th>Listing</th>
            <th>Status</th>
            <th>Last sync</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connections.map((connection) => (
            <tr key={connection.id} data-testid="connection-row" data-connection-id={connection.id}
                data-status={connection.status}>
              <td>{connection.platform_type}</td>
              <td>{connection.platform_listing_id ?? "–"}</td>
              <td>{connection.status}</td>
              <td>{connection.last_sync_at ?? "never"}</td>
              <td>
                <button type="button" data-testid="connection-open" onClick={() => setOpen(connection)}>
                  Open
                </button>{" "}
                <button type="button" onClick={() => setPendingSync(connection)}>
                  Full sync
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open ? (
        <div className="dialog-backdrop" role="presentation">
          <div className="dialog" role="dialog" aria-modal="true" aria-label="Connection Details"
               data-testid="connection-detail" data-connection-id={open.id}>
            <h2>Connection Details</h2>
            <p>
              {open.platform_type} · {open.status} · Last sync: {open.last_sync_at ?? "never"}
            </p>
            <SyncHistory connectionId={open.id} />
            <button type="button" data-testid="connection-close" onClick={() => setOpen(null)}>
              Close
            </button>
          </div>
        </div>
      ) : null}
      <ConfirmDialog
        open={pendingSync !== null}
        title="Start a full sync?"
        acceptLabel="Start sync"
        onAccept={() => pendingSync && runSync(pendingSync)}
        onCancel={() => setPendingSync(null)}
      >
        Availability, prices and bookings of {pendingSync?.platform_listing_id} are pushed to {pendingSync?.platform_type}.
      </ConfirmDialog>
    </main>
  );
}
