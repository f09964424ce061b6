import type { Metadata } from "next";
import { notFound } from "next/navigation";

// The public listing, rendered on the server and kept in Next.js's ISR cache (contract Q4): rendered on the
// first request for a host, then served from the cache (x-nextjs-cache: HIT, s-maxage=31536000).
// The pre-fix behaviour the runbook documents: an API error during rendering calls notFound(), and that 404
// is what the cache then keeps serving after the API is fixed, until the cache is cleared (a redeploy).
export const dynamic = "force-static";
export const revalidate = false;
export const dynamicParams = true;

export function generateStaticParams(): { site: string }[] {
  return []; // every host is rendered on its first request
}

export const metadata: Metadata = { title: "Unterkünfte" };

type PublicProperty = {
  id: string;
  name?: string | null;
  title?: string | null;
  city?: string | null;
  property_type?: string | null;
  max_guests?: number | null;
  base_price?: number | string | null;
};

async function loadProperties(host: string): Promise<PublicProperty[] | null> {
  const base = (process.env.API_BASE_URL || process.env.NEXT_PUBLIC_API_BASE || "").replace(/\/+$/, "");
  if (!base) {
    return null;
  }
  try {
    const response = await fetch(`${base}/api/v1/public/properties?limit=50&public_host=${encodeURIComponent(host)}`, {
      cache: "no-store",
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) {
      return null;
    }
    const body = await response.json();
    return Array.isArray(body) ? body : Array.isArray(body?.items) ? body.items : null;
  } catch {
    return null;
  }
}

export default async function UnterkuenftePage({ params }: { params: Promise<{ site: string }> }) {
  const { site } = await params;
  const properties = await loadProperties(decodeURIComponent(site));
  if (properties === null) {
    notFound();
  }
  return (
    <main data-testid="public-unterkuenfte">
      <h1>Unterkünfte</h1>
      <p data-testid="property-count">{properties.length} Unterkünfte</p>
      <ul className="property-grid">
        {properties.map((property) => (
          <li key={property.id} data-testid="property-card" data-property-id={property.id}>
            <h2>{property.name ?? property.title ?? property.id}</h2>
            <p>
              {[property.city, property.property_type, property.max_guests ? `${property.max_guests} Gäste` : null]
                .filter(Boolean)
                .join(" · ")}
            </p>
            <a href={`/buchung?property_id=${property.id}`}>Jetzt anfragen</a>
          </li>
        ))}
      </ul>
    </main>
  );
}
