export type ChannelConnection = {
  id: string;
  tenant_id: string;
  property_id: string | null;
  platform_type: string;
  platform_listing_id: string | null;
  status: "active" | "inactive" | "paused" | string;
  last_sync_at: string | null;
};

export type SyncTriggerResponse = {
  status: string;
  message: string;
  task_ids: string[];
  batch_id?: string | null;
};

export type SyncBatch = {
  batch_id: string;
  batch_status: string;
  status_counts?: Record<string, number>;
  created_at_min?: string | null;
  updated_at_max?: string | null;
};

// The browser calls the admin's own /api/internal/* routes (same origin, session cookie), which call
// /api/v1/* with the Bearer token server-side.
const API_BASE_URL = "/api/internal";

export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${API_BASE_URL}${path}`, {
    ...init,
    cache: "no-store",
    headers: { ...(init.headers ?? {}), "Content-Type": "application/json" },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const message = body.message ?? body.detail ?? `HTTP ${response.status}`;
    throw new ApiError(response.status, typeof message === "string" ? message : JSON.stringify(message));
  }
  return (await response.json()) as T;
}

export async function listConnections(): Promise<ChannelConnection[]> {
  // The list is registered with a trailing slash; without it the API answers 307.
  const body = await request<unknown>("/channel-connections/?limit=50&offset=0");
  return normalizeConnections(body);
}

function normalizeConnections(body: unknown): ChannelConnection[] {
  if (Array.isArray(body)) return body as ChannelConnection[];
  const b = body as Record<string, unknown>;
  for (const key of ["connections", "data", "items"]) {
    if (Array.isArray(b?.[key])) return b[key] as ChannelConnection[];
  }
  return [];
}

export async function listSyncBatches(connectionId: string, status: string, limit: number,
                                      offset: number): Promise<SyncBatch[]> {
  const query = new URLSearchParams({ limit: String(limit), offset: String(offset), status });
  const body = await request<{ items?: SyncBatch[] }>(
    `/channel-connections/${encodeURIComponent(connectionId)}/sync-batches?${query}`);
  return body.items ?? [];
}

export function triggerFullSync(connectionId: string): Promise<SyncTriggerResponse> {
  return request<SyncTriggerResponse>(`/channel-connections/${connectionId}/sync`, {
    method: "POST",
    body: JSON.stringify({ sync_type: "full" }),
  });
}
