/** @type {import('next').NextConfig} */
// One frontend, two containers (as production runs it): PMS_SITE=admin builds the admin host,
// PMS_SITE=public the public website. Both read their API base at BUILD time: the rewrite below is
// fixed when `next build` runs, so changing API_BASE_URL needs a rebuild (contract Q3).
const site = process.env.PMS_SITE === "public" ? "public" : "admin";
// Server-only on the public site (no NEXT_PUBLIC_ prefix); the March fallback name is accepted.
const apiBase = (process.env.API_BASE_URL || process.env.NEXT_PUBLIC_API_BASE || "").replace(/\/+$/, "");

const nextConfig = {
  env: {
    PMS_SITE: site,
  },
  poweredByHeader: false,
  // The API registers its lists with a trailing slash; the admin's proxy passes it on (no 308 to strip it).
  skipTrailingSlashRedirect: true,
  async rewrites() {
    if (site !== "public" || !apiBase) {
      return [];
    }
    // The same-origin proxy: only the public API, server to server.
    return [{ source: "/api/v1/public/:path*", destination: `${apiBase}/api/v1/public/:path*` }];
  },
};

module.exports = nextConfig;
