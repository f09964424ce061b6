import Link from "next/link";

// The public home page: a link to the listing (the CMS blocks are the backend's, not needed here).
export const dynamic = "force-static";
export const revalidate = 60;

export function generateStaticParams(): { site: string }[] {
  return [];
}

export default function PublicHomePage() {
  return (
    <main data-testid="public-home">
      <h1>Ferienwohnungen</h1>
      <p>
        <Link href="/unterkuenfte">Alle Unterkünfte</Link>
      </p>
    </main>
  );
}
