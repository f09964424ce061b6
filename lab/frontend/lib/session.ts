// The admin's session: the access token of the auth gateway, in an httpOnly cookie set by /auth/login.
export const SESSION_COOKIE = "sb-lab-auth-token";

export function apiBase(): string {
  // Server-side calls (route handlers, server components); the browser never sees it.
  return (process.env.API_BASE_URL || process.env.NEXT_PUBLIC_API_BASE || "").replace(/\/+$/, "");
}

export async function apiGet(path: string, token: string | undefined): Promise<Response> {
  return fetch(`${apiBase()}${path}`, {
    cache: "no-store",
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
}
