// The one way the UI talks REST to the platform: a small fetch wrapper that sends the session
// cookie, turns error bodies into a typed `ApiRequestError`, and reports 401s so the app can show
// the login view. It is created once in main.tsx (and by tests with a fake fetch), never global.

import { createContext, useContext } from 'react';
import type { ApiError, Health } from './wire';

/** An API call that failed, carrying the platform's error body (docs/api.md "Errors"). */
export class ApiRequestError extends Error implements ApiError {
  readonly status: number;
  readonly error: string;
  readonly code: string;
  readonly remediation?: string;
  readonly files?: string[];

  constructor(status: number, body: ApiError) {
    super(body.error);
    this.name = 'ApiRequestError';
    this.status = status;
    this.error = body.error;
    this.code = body.code;
    this.remediation = body.remediation;
    this.files = body.files;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export type ApiClientOptions = {
  fetch: Fetch;
  /** Called on every 401 so the app can ask for the token. */
  onUnauthorized: () => void;
};

export type Query = Record<string, string | number | boolean | undefined>;

export type ApiClient = {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown, query?: Query): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del(path: string): Promise<void>;
  /** `GET /api/health`, read on 200 and on 503 alike (both carry the Health body). */
  health(): Promise<HealthReport>;
};

/** Health as the banner sees it: a 503 may also carry an error and its remediation. */
export type HealthReport = Health & { error?: string; remediation?: string };

/** Appends the defined entries of `query` to `path` as a URL query string. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { error?: unknown }).error === 'string'
  );
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * Reads a failed response into an `ApiRequestError`. The platform always answers with the
 * docs/api.md error body, but a proxy or a crashed server may not, so anything else still becomes a
 * readable error instead of a JSON parse failure.
 */
export async function errorFromResponse(response: Response): Promise<ApiRequestError> {
  const text = await response.text().catch(() => '');
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (isApiError(body)) {
    return new ApiRequestError(response.status, {
      error: body.error,
      code: typeof body.code === 'string' ? body.code : `http_${response.status}`,
      remediation: typeof body.remediation === 'string' ? body.remediation : undefined,
      files: isStringList(body.files) ? body.files : undefined,
    });
  }
  const fallback = text.trim() || response.statusText || 'The request failed';
  return new ApiRequestError(response.status, {
    error: `${fallback} (HTTP ${response.status})`,
    code: `http_${response.status}`,
  });
}

/** The error for a request that never got an answer (server down, network gone). */
function unreachable(): ApiRequestError {
  return new ApiRequestError(0, {
    error: 'Cannot reach the Agentyard server.',
    code: 'network_error',
    remediation: 'Check that `agentyard serve` is running, then retry.',
  });
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = {
      method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    };
    if (body !== undefined) {
      init.headers = { ...init.headers, 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await options.fetch(path, init);
    } catch {
      throw unreachable();
    }
    if (response.status === 401) options.onUnauthorized();
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    get: (path, query) => request('GET', withQuery(path, query)),
    post: (path, body, query) => request('POST', withQuery(path, query), body ?? {}),
    put: (path, body) => request('PUT', path, body),
    patch: (path, body) => request('PATCH', path, body),
    del: (path) => request('DELETE', path),
    health: async () => {
      let response: Response;
      try {
        response = await options.fetch('/api/health', {
          credentials: 'same-origin',
          headers: { Accept: 'application/json' },
        });
      } catch {
        throw unreachable();
      }
      const text = await response.text().catch(() => '');
      try {
        const body = JSON.parse(text) as HealthReport;
        if (typeof body.ok === 'boolean') return body;
      } catch {
        // Not a Health body: reported below as an error.
      }
      throw new ApiRequestError(response.status, {
        error: `The health check answered HTTP ${response.status} without a health report.`,
        code: `http_${response.status}`,
      });
    },
  };
}

/** A readable message for anything a catch block may hold. */
export function describeError(error: unknown): ApiError {
  if (error instanceof ApiRequestError) {
    return { error: error.error, code: error.code, remediation: error.remediation, files: error.files };
  }
  if (error instanceof Error) return { error: error.message, code: 'unexpected' };
  return { error: String(error), code: 'unexpected' };
}

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi needs an ApiContext provider');
  return api;
}
