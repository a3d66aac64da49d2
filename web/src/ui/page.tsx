/**
 * A screen: sets the document title and moves focus to its heading on every route change, in the
 * commit that renders it (as every focus move of the client), so focus is never left on the body.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

export function Page(props: { title: string; busy?: boolean; children?: ComponentChildren; actions?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => {
    document.title = `${props.title} · Zaplecze`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <section class="page" aria-busy={props.busy ? 'true' : 'false'} aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}
