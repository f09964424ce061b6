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

const API_BASE_URL = process.env.NEXT_PUBLIC_API_BASE_URL ?? "http://localhost:8000";

export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

async function request<T>(path: string, token: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${API_BASE_URL}${path}`, {
    ...init,
    cache: "no-store",
    headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const message = body.message ?? body.detail ?? `HTTP ${response.status}`;
    throw new ApiError(response.status, typeof message === "string" ? message : JSON.stringify(message));
  }
  return (await response.json()) as T;
}

export function listConnections(token: string): Promise<ChannelConnection[]> {
  // The list is registered with a trailing slash; without it the API answers 307.
  return request<ChannelConnection[]>("/api/v1/channel-connections/", token);
}

export function triggerFullSync(token: string, connectionId: string): Promise<SyncTriggerResponse> {
  return request<SyncTriggerResponse>(`/api/v1/channel-connections/${connectionId}/sync`, token, {
    method: "POST",
    body: JSON.stringify({ sync_type: "full" }),
  });
}
