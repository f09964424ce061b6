import { NextResponse } from "next/server";

// Without this, Next.js renders the route once at build time and serves a cached
// source_commit of null (x-nextjs-cache: HIT); the runbook's commit check then fails.
export const dynamic = "force-dynamic";

const STARTED_AT = new Date().toISOString();

export function GET() {
  return NextResponse.json(
    {
      service: "pms-admin",
      source_commit: process.env.SOURCE_COMMIT || process.env.NEXT_PUBLIC_SOURCE_COMMIT || null,
      started_at: process.env.STARTED_AT || STARTED_AT,
      environment: process.env.NODE_ENV,
    },
    { headers: { "cache-control": "no-store" } },
  );
}
