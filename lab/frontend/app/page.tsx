import Link from "next/link";

export default function DashboardPage() {
  return (
    <main>
      <h1>PMS Admin</h1>
      <p>
        <Link href="/connections">Channel connections</Link> · <Link href="/ops/status">Systemstatus</Link> ·{" "}
        <Link href="/kurtaxen">Kurtaxen</Link>
      </p>
    </main>
  );
}
