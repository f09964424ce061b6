import { cookies } from "next/headers";

import { SESSION_COOKIE, apiGet } from "../../lib/session";

export const dynamic = "force-dynamic";

type Location = { id: string; name: string; postal_codes?: string[]; periods?: unknown[] };

// Visitor tax (contract Q8.9): GET /api/v1/visitor-tax/locations, periods included.
export default async function KurtaxenPage() {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  let locations: Location[] | null = null;
  let status = 0;
  try {
    const answer = await apiGet("/api/v1/visitor-tax/locations", token);
    status = answer.status;
    if (answer.ok) {
      const body = await answer.json();
      locations = Array.isArray(body) ? body : (body.items ?? []);
    }
  } catch {
    status = 0;
  }
  return (
    <main data-testid="kurtaxen">
      <h1>Kurtaxen</h1>
      {locations === null ? (
        <p data-testid="kurtaxen-error">Kurtaxen konnten nicht geladen werden (HTTP {status || "n/a"}).</p>
      ) : locations.length === 0 ? (
        <p>Keine Gemeinden angelegt.</p>
      ) : (
        <ul>
          {locations.map((l) => (
            <li key={l.id} data-testid="kurtaxe-location">
              {l.name} {l.postal_codes?.length ? `(${l.postal_codes.join(", ")})` : ""}: {l.periods?.length ?? 0} Zeiträume
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
