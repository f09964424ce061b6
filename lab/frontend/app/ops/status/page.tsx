import { apiGet } from "../../../lib/session";

export const dynamic = "force-dynamic";

type Probe = { path: string; status: number; body: Record<string, unknown> | null; ms: number };

async function probe(path: string): Promise<Probe> {
  const started = Date.now();
  try {
    const answer = await apiGet(path, undefined);
    return { path, status: answer.status, body: await answer.json().catch(() => null), ms: Date.now() - started };
  } catch {
    return { path, status: 0, body: null, ms: Date.now() - started };
  }
}

// The ops console's health page (contract Q8.8): "System Healthy" only when /health and /health/ready say
// "up" and db, redis and celery all read "up".
export default async function OpsStatusPage() {
  const [health, ready] = await Promise.all([probe("/health"), probe("/health/ready")]);
  const components = (ready.body?.components ?? {}) as Record<string, { status?: string }>;
  const failed: string[] = [];
  if (health.body?.status !== "up") failed.push("/health (not 'up')");
  if (ready.body?.status !== "up") failed.push("/health/ready (not 'up')");
  for (const name of ["db", "redis", "celery"]) {
    const status = components[name]?.status;
    if (status !== "up") failed.push(`${name} component (status: ${status ?? "missing"})`);
  }
  return (
    <main data-testid="ops-status">
      <h1>Systemstatus</h1>
      <p data-testid="ops-banner" data-state={failed.length ? "down" : "healthy"}>
        {failed.length ? `System Down: ${failed.join(", ")}` : "System Healthy"}
      </p>
      <ul>
        {[health, ready].map((p) => (
          <li key={p.path}>
            {p.path}: HTTP {p.status || "n/a"} in {p.ms} ms
          </li>
        ))}
        {Object.entries(components).map(([name, c]) => (
          <li key={name}>
            {name}: {c?.status ?? "?"}
          </li>
        ))}
      </ul>
    </main>
  );
}
