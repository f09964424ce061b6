"""Faults of the frontend source tree (runbook Step 6): browser dialogs reintroduced."""
from __future__ import annotations

from lab.faults.base import Fault

POPUP_FILE = "components/LegacySyncButton.tsx"
POPUP_SOURCE = """'use client';
// Reintroduced by a hurried hotfix: the browser dialogs the guard exists to catch.
export function LegacySyncButton({ onSync }: { onSync: () => Promise<boolean> }) {
  async function handleClick() {
    if (!window.confirm("Start a full sync now?")) return;
    const ok = await onSync();
    if (!ok) {
      alert("Test failed!");
    }
  }
  return <button onClick={handleClick}>Sync now</button>;
}
"""


class PopupsInFrontend(Fault):
    name = "popups-in-frontend"
    summary = "the lab's frontend source tree gains alert()/confirm() calls"

    def inject(self, state):
        path = state.home / "frontend" / POPUP_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(POPUP_SOURCE)

    def heal(self, state):
        (state.home / "frontend" / POPUP_FILE).unlink(missing_ok=True)


FAULTS = (PopupsInFrontend,)
