/**
 * Labelled inputs that show the server's validation errors: a problem's `errors[].path`
 * (a JSON pointer such as "/shippingAddress/city") marks the field with the same `path`
 * aria-invalid, describes it with the message, and focus moves to the first bad field.
 */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useLayoutEffect, useRef } from 'preact/hooks';
import type { ApiProblem } from '../api/problem';
import { ProblemAlert } from './problem-alert';

const ProblemContext = createContext<ApiProblem | null>(null);

const idFor = (path: string) => `f${path.replace(/[^\w]+/g, '-')}`;

export function Form(props: {
  problem: ApiProblem | null;
  busy?: boolean;
  onSubmit: () => void | Promise<void>;
  children: ComponentChildren;
  label?: string;
  class?: string;
}) {
  const form = useRef<HTMLFormElement>(null);
  // In the same commit as the render that shows the problem, not after the next paint: a screen
  // reader user (or a test) that sees the alert finds focus already on the bad field.
  useLayoutEffect(() => {
    if (!props.problem) return;
    const bad = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (bad ?? form.current?.querySelector<HTMLElement>('[role="alert"]'))?.focus();
  }, [props.problem]);
  return (
    <ProblemContext.Provider value={props.problem}>
      <form
        ref={form}
        class={props.class ?? 'form'}
        aria-label={props.label}
        aria-busy={props.busy ? 'true' : 'false'}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void props.onSubmit();
        }}
      >
        <ProblemAlert problem={props.problem} />
        {props.children}
      </form>
    </ProblemContext.Provider>
  );
}

/** The input attributes the screens use (preact's full attribute union is too wide to spread). */
interface InputOptions {
  type?: 'text' | 'email' | 'password' | 'number' | 'search';
  autoComplete?: string;
  required?: boolean;
  maxLength?: number;
  min?: number;
  max?: number;
  inputMode?: 'decimal' | 'numeric' | 'text';
}

type InputProps = InputOptions & {
  label: string;
  /** JSON pointer of the field in the request body, e.g. "/email". */
  path: string;
  value: string;
  onValue: (v: string) => void;
  hint?: string;
};

export function Field({ label, path, value, onValue, hint, ...rest }: InputProps) {
  const problem = useContext(ProblemContext);
  const error = problem?.fieldError(path);
  const id = idFor(path);
  const described = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        name={path.slice(1)}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described}
        {...(rest as Record<string, unknown>)}
      />
      {hint ? (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}

export function Select(props: { label: string; path: string; value: string; onValue: (v: string) => void; options: [string, string][] }) {
  const problem = useContext(ProblemContext);
  const error = problem?.fieldError(props.path);
  const id = idFor(props.path);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => props.onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      {error ? (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}
