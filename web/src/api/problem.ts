/** RFC 9457 problem details as a typed value the screens can show and map to fields. */
import type { components } from './openapi.gen';

export type ProblemBody = components['schemas']['Problem'];
export type FieldError = NonNullable<ProblemBody['errors']>[number];

/** A failed API call: the problem body plus what the headers add (Retry-After, request id). */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;
  readonly retryAfter: string | undefined;

  constructor(body: Partial<ProblemBody>, response?: Response) {
    super(body.detail || body.title || `HTTP ${response?.status ?? 0}`);
    this.name = 'ApiProblem';
    this.status = body.status ?? response?.status ?? 0;
    this.code = body.code ?? 'UNKNOWN';
    this.title = body.title ?? 'Request failed';
    this.detail = body.detail ?? '';
    this.errors = body.errors ?? [];
    this.requestId = response?.headers.get('x-request-id') ?? body.instance;
    this.retryAfter = response?.headers.get('retry-after') ?? undefined;
  }

  /** The message for one field, by its JSON pointer ("/email"), if the server named it. */
  fieldError(path: string): string | undefined {
    return this.errors.find((e) => e.path === path)?.message;
  }
}

/** The network itself failed (offline, server down): shown like a problem, with no request id. */
export const networkProblem = (err: unknown) =>
  new ApiProblem({ title: 'Cannot reach the server', detail: err instanceof Error ? err.message : String(err), code: 'NETWORK' });

/** Turns any thrown value into an ApiProblem, so every screen renders errors one way. */
export const asProblem = (err: unknown): ApiProblem => (err instanceof ApiProblem ? err : networkProblem(err));
