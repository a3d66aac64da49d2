/**
 * The OpenAPI document promises a client every status an operation can answer. This check holds
 * every answer a test receives through `TestApp.request` to that promise, so each test of the
 * suite is also a contract test: a service that learns a new error (a 409 on a taken slug, say)
 * fails the test that provokes it until the route declares it. The fuzz finds the same gaps only
 * when its random walk happens to reach them.
 *
 * Requests to paths the document does not describe (hidden routes, unknown URLs) are not judged.
 */

interface Operation {
  responses?: Record<string, unknown>;
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

/** A function that names the broken promise of an answer, or returns undefined when it keeps it. */
export function createStatusContract(document: OpenApiPaths) {
  const templates: Template[] = Object.entries(document.paths ?? {}).map(([path, item]) => ({
    path,
    segments: segmentsOf(path).map((s) => (/^\{.+\}$/.test(s) ? undefined : s)),
    methods: item as Record<string, Operation>,
  }));

  return (method: string, url: string, status: number): string | undefined => {
    const segments = segmentsOf(url.split('?')[0] ?? '');
    let best: Template | undefined;
    let bestScore = 0;
    for (const template of templates) {
      const score = specificity(template, segments);
      if (score > bestScore) [best, bestScore] = [template, score];
    }
    const verb = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    const responses = best?.methods[verb]?.responses;
    if (!best || !responses) return undefined;
    if (responses[String(status)] ?? responses.default) return undefined;
    return `${method} ${url} answered ${status}, which ${verb.toUpperCase()} ${best.path} does not declare in the OpenAPI document (declared: ${Object.keys(responses).join(', ')})`;
  };
}
