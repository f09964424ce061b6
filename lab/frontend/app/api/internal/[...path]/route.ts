import { NextResponse, type NextRequest } from "next/server";

import { SESSION_COOKIE, apiGet } from "../../../../lib/session";

export const dynamic = "force-dynamic";

// /api/internal/*: the admin's proxy routes (contract Q8.1) turn the session cookie into a Bearer token
// for GET /api/v1/*. Read-only here: the lab's admin pages only read.
export async function GET(request: NextRequest, { params }: { params: Promise<{ path: string[] }> }) {
  const { path } = await params;
  const token = request.cookies.get(SESSION_COOKIE)?.value;
  const trailing = request.nextUrl.pathname.endsWith("/") ? "/" : "";
  let answer: Response;
  try {
    answer = await apiGet(`/api/v1/${path.map(encodeURIComponent).join("/")}${trailing}${request.nextUrl.search}`, token);
  } catch {
    return NextResponse.json({ detail: "Network error (API not reachable)" }, { status: 502 });
  }
  const text = await answer.text();
  return new NextResponse(text, {
    status: answer.status,
    headers: { "content-type": answer.headers.get("content-type") || "application/json", "cache-control": "no-store" },
  });
}
