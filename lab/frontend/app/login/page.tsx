"use client";

import { useState, type FormEvent } from "react";

export default function LoginPage() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams(window.location.search).get("next") || "/ops/status";
    try {
      const response = await fetch("/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: form.get("email"), password: form.get("password"), next }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok && body.success) {
        window.location.assign(body.next || next);
        return;
      }
      setError(body.error || `Login failed (HTTP ${response.status})`);
    } catch {
      setError("Network error (API not reachable). Check your connection, VPN, or firewall.");
    }
    setBusy(false);
  }

  return (
    <main data-testid="login">
      <h1>Anmelden</h1>
      <form onSubmit={submit}>
        <label>
          E-Mail <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Passwort <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Anmelden..." : "Anmelden"}
        </button>
      </form>
      {error ? <p role="alert" data-testid="login-error">{error}</p> : null}
    </main>
  );
}
