/**
 * The typed API client: openapi-fetch over the generated paths, with the bearer token attached,
 * one transparent refresh-and-retry on 401, and failures thrown as ApiProblem values.
 */
import createClient from 'openapi-fetch';
import type { paths } from './openapi.gen';
import { ApiProblem, networkProblem } from './problem';
import { accessToken, readSession, refreshSession } from './session';

async function authedFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const token = await accessToken();
  if (token && !input.headers.has('authorization')) input.headers.set('authorization', `Bearer ${token}`);
  let res: Response;
  try {
    res = await fetch(input);
  } catch (err) {
    throw networkProblem(err);
  }
  if (res.status !== 401 || !token) return res;
  // The token was refused (expired early, or revoked): one refresh, one retry.
  const stored = readSession();
  const next = stored ? await refreshSession(stored.refreshToken) : null;
  if (!next) return res;
  retry.headers.set('authorization', `Bearer ${next.accessToken}`);
  return fetch(retry);
}

export const api = createClient<paths>({ baseUrl: '', fetch: authedFetch });

/** The data of a successful call, or throws the problem (RFC 9457) as an ApiProblem. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  throw new ApiProblem((error ?? {}) as ConstructorParameters<typeof ApiProblem>[0], response);
}

/** fetch with the session's bearer token, for what openapi-fetch does not model (downloads, tus). */
export async function authedRaw(url: string, init: RequestInit = {}): Promise<Response> {
  return authedFetch(new Request(url, init));
}
