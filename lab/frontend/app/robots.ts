import type { MetadataRoute } from "next";

// Always 200: robots blocks the API and the admin paths (contract Q9.1).
export default function robots(): MetadataRoute.Robots {
  return { rules: [{ userAgent: "*", allow: "/", disallow: ["/api/", "/admin/"] }] };
}
