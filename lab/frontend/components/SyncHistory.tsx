"use client";

import { useEffect, useState } from "react";

import { ApiError, listSyncBatches, type SyncBatch } from "../lib/api";

const FILTERS = [
  { label: "Any", value: "any" },
  { label: "Running", value: "running" },
  { label: "Failed", value: "failed" },
  { label: "Success", value: "success" },
];
const PAGE_SIZE = 20;

type State = { kind: "loading" } | { kind: "loaded"; items: SyncBatch[] } | { kind: "error"; message: string };

// Sync History (contract Q8.5): the connection's batches, 20 per page, reloaded when the filter changes.
// On an API error it shows an inline banner (variant b), never an empty list that looks like "no batches".
export function SyncHistory({ connectionId }: { connectionId: string }) {
  const [status, setStatus] = useState("any");
  const [state, setState] = useState<State>({ kind: "loading" });

  useEffect(() => {
    let cancelled = false;
    setState({ kind: "loading" });
    listSyncBatches(connectionId, status, PAGE_SIZE, 0)
      .then((items) => !cancelled && setState({ kind: "loaded", items }))
      .catch((error: unknown) => {
        const message = error instanceof ApiError ? `HTTP ${error.status}: ${error.message}` : "Network error";
        if (!cancelled) setState({ kind: "error", message });
      });
    return () => {
      cancelled = true;
    };
  }, [connectionId, status]);

  return (
    <section data-testid="sync-history" data-state={state.kind} data-filter={status}>
      <h3>Sync History</h3>
      <label>
        Status{" "}
        <select data-testid="sync-history-filter" value={status} onChange={(e) => setStatus(e.target.value)}>
          {FILTERS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      {state.kind === "loading" ? <p>Loading...</p> : null}
      {state.kind === "error" ? (
        <p className="banner banner-error" data-testid="sync-history-error">
          Sync History could not be loaded ({state.message})
        </p>
      ) : null}
      {state.kind === "loaded" && state.items.length === 0 ? <p>No batches found</p> : null}
      {state.kind === "loaded" && state.items.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>Updated</th>
              <th>Status</th>
              <th>Counts</th>
              <th>Batch ID</th>
            </tr>
          </thead>
          <tbody>
            {state.items.map((b) => (
              <tr key={b.batch_id} data-testid="sync-batch-row" data-batch-id={b.batch_id}
                  data-status={b.batch_status} data-updated={b.updated_at_max ?? b.created_at_min ?? ""}>
                <td>{b.updated_at_max ?? b.created_at_min ?? "–"}</td>
                <td>{b.batch_status}</td>
                <td>
                  ✓ {b.status_counts?.success ?? 0} ✗ {b.status_counts?.failed ?? 0} ⟳ {b.status_counts?.running ?? 0}
                </td>
                <td title={b.batch_id}>{b.batch_id.slice(0, 8)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p>
        Showing {state.kind === "loaded" && state.items.length ? `1 - ${state.items.length}` : "0"}
      </p>
    </section>
  );
}
