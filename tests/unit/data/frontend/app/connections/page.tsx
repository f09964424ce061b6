"use client";
// Lines whose popup call must be found end with a `// HIT` marker (a comment: it never counts itself).
import { useState } from "react";
import { useToast } from "@/components/ToastProvider";

type Connection = { id: string; status: "active" | "paused" };

export default function ConnectionsPage({ items }: { items: Connection[] }) {
  const [busy, setBusy] = useState(false);
  const toast = useToast();

  async function testConnection(id: string) {
    setBusy(true);
    const res = await fetch(`/api/v1/channel-connections/${id}/test`, { method: "POST" });
    if (!res.ok) {
        alert("Test failed!"); // HIT
    }
    // alert("this is only a comment")
    /* confirm("a block comment") */
    toast.alert("toasts are fine");
    setBusy(false);
  }

  async function remove(id: string) {
    if (!window.confirm(`Delete connection ${id}?`)) return; // HIT
    const reason = prompt("Why?") ?? ""; // HIT
    console.log("alert(", reason, `prompt(${reason})`);
  }

  return (
    <div>
      <p>Do not call alert() or confirm() here; use the toast.</p>
      <button onClick={() => testConnection(items[0].id)} disabled={busy}>Test</button>
      <button onClick={() => remove(items[0].id)}>Delete</button>
      <span title="confirm(1)">{busy ? "…" : `${confirm("template substitution counts")}`}</span>{/* HIT */}
    </div>
  );
}
