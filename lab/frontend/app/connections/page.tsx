"use client";

import { useEffect, useState } from "react";

import { ConfirmDialog } from "../../components/ConfirmDialog";
import { useToast } from "../../components/ToastProvider";
import { ApiError, listConnections, triggerFullSync, type ChannelConnection } from "../../lib/api";

// History: this page used to report a failed connection test with alert("Test failed!"),
// which blocks the browser tab. Failures now go to a toast; see ToastProvider.
const POPUP_POLICY_NOTE = "Never use alert(), use showToast() instead.";

function readToken(): string {
  return window.localStorage.getItem("pms_access_token") ?? "";
}

export default function ConnectionsPage() {
  const { showToast } = useToast();
  const [connections, setConnections] = useState<ChannelConnection[]>([]);
  const [pendingSync, setPendingSync] = useState<ChannelConnection | null>(null);

  useEffect(() => {
    listConnections(readToken())
      .then(setConnections)
      .catch((error: unknown) => {
        const message = error instanceof ApiError ? error.message : "Could not load connections";
        showToast("error", message);
      });
  }, [showToast]);

  async function runSync(connection: ChannelConnection) {
    setPendingSync(null);
    try {
      const result = await triggerFullSync(readToken(), connection.id);
      showToast("success", `${result.message} (batch ${result.batch_id ?? "n/a"})`);
    } catch (error: unknown) {
      const message = error instanceof ApiError && error.status === 503
        ? "Service temporarily unavailable. Please try again shortly."
        : "Sync could not be started";
      showToast("error", message);
    }
  }

  return (
    <main data-popup-policy={POPUP_POLICY_NOTE}>
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
            <tr key={connection.id}>
              <td>{connection.platform_type}</td>
              <td>{connection.platform_listing_id ?? "–"}</td>
              <td>{connection.status}</td>
              <td>{connection.last_sync_at ?? "never"}</td>
              <td>
                <button type="button" onClick={() => setPendingSync(connection)}>
                  Full sync
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
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
