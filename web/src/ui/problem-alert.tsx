/** Shows a failed call: title, detail, the request id (for support) and Retry-After. */
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { ApiProblem } from '../api/problem';

export function ProblemAlert(props: { problem: ApiProblem | null; focus?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const p = props.problem;
  useLayoutEffect(() => {
    if (p && props.focus) box.current?.focus();
  }, [p, props.focus]);
  if (!p) return null;
  return (
    <div class="alert" role="alert" tabIndex={-1} ref={box}>
      <strong>{p.title}</strong>
      {p.detail && p.detail !== p.title ? <p>{p.detail}</p> : null}
      {p.retryAfter ? <p>Try again in {p.retryAfter} s.</p> : null}
      {p.requestId ? (
        <p class="muted">
          Request id: <code>{p.requestId}</code>
        </p>
      ) : null}
    </div>
  );
}
