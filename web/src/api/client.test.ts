import { describe, expect, it, vi } from 'vitest';
import { ApiRequestError, createApiClient, withQuery, type Fetch } from './client';

function respond(status: number, body?: unknown, raw?: string): Response {
  const text = raw ?? (body === undefined ? '' : JSON.stringify(body));
  return new Response(status === 204 ? null : text, { status });
}

function clientWith(response: Response | (() => Promise<Response>)) {
  const fetch = vi.fn<Fetch>(async () => (typeof response === 'function' ? response() : response));
  const onUnauthorized = vi.fn();
  return { api: createApiClient({ fetch, onUnauthorized }), fetch, onUnauthorized };
}

describe('api client', () => {
  it('returns the parsed JSON body of a successful call', async () => {
    const { api } = clientWith(respond(200, [{ id: 'p1' }]));
    await expect(api.get('/api/projects')).resolves.toEqual([{ id: 'p1' }]);
  });

  it('sends JSON bodies with the session cookie', async () => {
    const { api, fetch } = clientWith(respond(201, { id: 'p1' }));
    await api.post('/api/projects', { name: 'demo' });
    const [path, init] = fetch.mock.calls[0];
    expect(path).toBe('/api/projects');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
    expect(init?.body).toBe('{"name":"demo"}');
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('returns nothing for a 204', async () => {
    const { api } = clientWith(respond(204));
    await expect(api.del('/api/agents/a1')).resolves.toBeUndefined();
  });

  it('throws the error, code and remediation of an error body', async () => {
    const { api } = clientWith(
      respond(503, { error: 'Docker is not reachable', code: 'docker_unavailable', remediation: 'start docker' }),
    );
    const failure = await api.get('/api/agents/images').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiRequestError);
    expect(failure).toMatchObject({
      status: 503,
      error: 'Docker is not reachable',
      code: 'docker_unavailable',
      remediation: 'start docker',
    });
  });

  it('turns a body that is not an API error into a readable error', async () => {
    const { api } = clientWith(respond(502, undefined, 'Bad Gateway'));
    await expect(api.get('/api/projects')).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
      error: 'Bad Gateway (HTTP 502)',
    });
  });

  it('reports a 401 so the login view can be shown, and still throws', async () => {
    const { api, onUnauthorized } = clientWith(respond(401, { error: 'missing token', code: 'unauthorized' }));
    await expect(api.get('/api/projects')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not report other failures as unauthorized', async () => {
    const { api, onUnauthorized } = clientWith(respond(404, { error: 'no such project', code: 'not_found' }));
    await expect(api.get('/api/projects/x')).rejects.toMatchObject({ status: 404 });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('says the server is unreachable when fetch itself fails', async () => {
    const { api } = clientWith(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(api.get('/api/projects')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('reads the health report on a 503 instead of throwing', async () => {
    const unhealthy = {
      ok: false,
      mode: 'docker',
      docker: { socketConnected: true, imageAvailable: false, imageName: 'claude-agent-base', networkExists: true },
    };
    const { api } = clientWith(respond(503, unhealthy));
    await expect(api.health()).resolves.toEqual(unhealthy);
  });

  it('builds query strings from the defined entries only', () => {
    expect(withQuery('/api/git/diff/p', { path: 'a b.txt', staged: false, session_id: undefined })).toBe(
      '/api/git/diff/p?path=a+b.txt&staged=false',
    );
    expect(withQuery('/api/projects', {})).toBe('/api/projects');
  });
});
