import { NextResponse, type NextRequest } from "next/server";

import { SESSION_COOKIE } from "../../../lib/session";

export const dynamic = "force-dynamic";

// Checklist-era login (contract Q8.1): POST /auth/login {email, password, next} -> 200
// {"success": true, "user": {...}, "next": ...} and the session cookie; 401 on bad credentials.
export async function POST(request: NextRequest) {
  const body = await request.json().catch(() => ({}));
  const sbUrl = (process.env.SB_URL || "").replace(/\/+$/, "");
  let answer: Response;
  try {
    answer = await fetch(`${sbUrl}/auth/v1/token?grant_type=password`, {
      method: "POST",
      cache: "no-store",
      headers: { apikey: process.env.ANON_KEY || "", "content-type": "application/json" },
      body: JSON.stringify({ email: body.email, password: body.password }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return NextResponse.json({ success: false, error: "Auth service not reachable" }, { status: 502 });
  }
  const session = await answer.json().catch(() => ({}));
  if (!answer.ok || !session.access_token) {
    return NextResponse.json({ success: false, error: session.error_description || "Invalid login credentials" },
      { status: 401 });
  }
  const next = typeof body.next === "string" && body.next.startsWith("/") ? body.next : "/ops/status";
  const response = NextResponse.json({ success: true, user: session.user ?? null, next });
  response.cookies.set(SESSION_COOKIE, session.access_token, { httpOnly: true, sameSite: "lax", path: "/",
    maxAge: Number(session.expires_in) || 3600 });
  return response;
}
