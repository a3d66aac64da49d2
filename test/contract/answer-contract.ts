/**
 * The OpenAPI document promises a client every status an operation can answer, and every error
 * is an RFC 9457 problem document. This check holds every answer a test receives through
 * `TestApp.request` to both promises, so each test of the suite is also a contract test: a
 * service that learns a new error (a 409 on a taken slug, say) fails the test that provokes it
 * until the route declares it. The fuzz finds the same gaps only when its random walk happens to
 * reach them. (2xx bodies need no check here: the routes' response schemas serialize them.)
 *
 * Answers to paths the document does not describe (hidden routes, unknown URLs) are not judged.
 */

interface Response {
  content?: Record<string, unknown>;
}
interface Operation {
  responses?: Record<string, Response>;
}
export interface OpenApiPaths {
  paths?: Record<string, Record<string, Operation | unknown>>;
}

interface Template {
  path: string;
  /** Each segment: its literal text, or undefined for a `{parameter}`. */
  segments: (string | undefined)[];
  methods: Record<string, Operation>;
}

const segmentsOf = (path: string) => path.replace(/\/+$/, '').split('/').slice(1);

/** 0 when `template` does not match; otherwise larger for more literal segments earlier, as Fastify's router prefers. */
function specificity(template: Template, segments: string[]): number {
  if (template.segments.length !== segments.length) return 0;
  let score = 1;
  for (const [i, literal] of template.segments.entries()) {
    if (literal === undefined) {
      if (segments[i] === '') return 0;
      score *= 2;
    } else if (literal === segments[i]) score = score * 2 + 1;
    else return 0;
  }
  return score;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** What is wrong with an error answer that is not a problem document, or undefined. */
function problemFlaw(method: string, answer: Answer): string | undefined {
  if (answer.statusCode < 400 || method.toUpperCase() === 'HEAD') return undefined;
  const type = String(answer.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) return `is of type '${type}', not application/problem+json`;
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(answer.body);
  } catch {
    return 'is not JSON';
  }
  if (problem.status !== answer.statusCode) return `says status ${String(problem.status)}`;
  const missing = ['type', 'title', 'code'].filter((field) => typeof problem[field] !== 'string');
  return missing.length ? `has no ${missing.join(', ')}` : undefined;
}

/** A function that names the broken promise of an answer, or returns undefined when it keeps it. */
export function createAnswerContract(document: OpenApiPaths) {
  const templates: Template[] = Object.entries(document.paths ?? {}).map(([path, item]) => ({
    path,
    segments: segmentsOf(path).map((s) => (/^\{.+\}$/.test(s) ? undefined : s)),
    methods: item as Record<string, Operation>,
  }));

  return (method: string, url: string, answer: Answer): string | undefined => {
    const status = answer.statusCode;
    const segments = segmentsOf(url.split('?')[0] ?? '');
    let best: Template | undefined;
    let bestScore = 0;
    for (const template of templates) {
      const score = specificity(template, segments);
      if (score > bestScore) [best, bestScore] = [template, score];
    }
    // A HEAD the document does not describe is the implicit HEAD of a GET.
    const asked = method.toLowerCase();
    const verb = asked === 'head' && !best?.methods.head ? 'get' : asked;
    const responses = best?.methods[verb]?.responses;
    if (!best || !responses) return undefined;
    const declared = (responses[String(status)] ?? responses.default) as Response | undefined;
    if (!declared) {
      return `${method} ${url} answered ${status}, which ${verb.toUpperCase()} ${best.path} does not declare in the OpenAPI document (declared: ${Object.keys(responses).join(', ')})`;
    }
    // An error documented with another body (the readiness report of a 503) is held to that.
    if (declared.content && !declared.content['application/problem+json']) return undefined;
    const flaw = problemFlaw(method, answer);
    return flaw && `${method} ${url} answered ${status} with a body that ${flaw}: an error must be a problem document (RFC 9457)`;
  };
}
