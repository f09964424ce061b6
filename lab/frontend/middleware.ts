import { NextResponse, type NextRequest } from "next/server";

// One middleware, two hosts (PMS_SITE is fixed at build time by next.config.js).
//
// Public website (contract Q3/Q9.3): the browser calls the same-origin /api/v1/public/* and the rewrite in
// next.config.js proxies it to API_BASE_URL. Every other /api/v1/* path is 404, every method other than
// GET/HEAD is 405. Pages are rewritten to /sites/<host>/...: the tenant is the request's host.
//
// Admin: a page without a session goes to /login?next=<path> (307); the API is called server-side.
const SITE = process.env.PMS_SITE;
const SESSION_COOKIE = "sb-lab-auth-token"; // lib/session.ts
const PUBLIC_PAGES = ["/", "/unterkuenfte"];
const ADMIN_OPEN = ["/login", "/auth/login", "/api/ops/version", "/robots.txt"];

function tenantHost(request: NextRequest): string {
  const host = request.headers.get("x-forwarded-host") || request.headers.get("host") || "localhost";
  return host.split(",")[0].trim().replace(/:\d+$/, "").toLowerCase();
}

function publicSite(request: NextRequest): NextResponse {
  const { pathname } = request.nextUrl;
  if (pathname.startsWith("/api/")) {
    if (!pathname.startsWith("/api/v1/public/")) {
      return NextResponse.json({ detail: "Not Found" }, { status: 404 });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return NextResponse.json({ detail: "Method Not Allowed" }, { status: 405, headers: { allow: "GET, HEAD" } });
    }
    // The rewrite proxies server to server, so the API sees its own host: name the site's (C21's override).
    const headers = new Headers(request.headers);
    headers.set("x-public-host", tenantHost(request));
    return NextResponse.next({ request: { headers } });
  }
  if (pathname.startsWith("/sites/")) {
    return NextResponse.rewrite(new URL("/_not-found", request.url));
  }
  const page = PUBLIC_PAGES.find((p) => p === pathname || (p !== "/" && pathname === `${p}/`));
  if (page) {
    const url = request.nextUrl.clone();
    url.pathname = `/sites/${encodeURIComponent(tenantHost(request))}${page === "/" ? "" : page}`;
    return NextResponse.rewrite(url);
  }
  return NextResponse.next();
}

function admin(request: NextRequest): NextResponse {
  const { pathname, search } = request.nextUrl;
  if (pathname.startsWith("/sites/")) {
    return NextResponse.rewrite(new URL("/_not-found", request.url));
  }
  if (ADMIN_OPEN.some((p) => pathname === p) || request.cookies.get(SESSION_COOKIE)) {
    return NextResponse.next();
  }
  if (pathname.startsWith("/api/")) {
    return NextResponse.json({ detail: "Not authenticated" }, { status: 401 });
  }
  const login = new URL("/login", request.url);
  login.searchParams.set("next", `${pathname}${search}`);
  return NextResponse.redirect(login, 307);
}

export function middleware(request: NextRequest): NextResponse {
  return SITE === "public" ? publicSite(request) : admin(request);
}

export const config = {
  // API routes included: a matcher that skips /api/* is the documented reverse fault.
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
