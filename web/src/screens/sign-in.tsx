import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { signIn } from '../auth';
import { Field, Form } from '../ui/form';
import { Page } from '../ui/page';
import { useAction } from '../ui/use-load';

/** Only paths inside the app, so ?next= cannot send anyone elsewhere. */
const safeNext = (next: string | undefined) => (next && /^\/app\/[\w\-/]*$/.test(next) ? next : '/app/');

export function SignIn() {
  const { route, query } = useLocation();
  const [email, setEmail] = useState(query.email ?? '');
  const [password, setPassword] = useState('');
  const { busy, problem, run } = useAction();
  return (
    <Page title="Sign in">
      {query.registered ? (
        <p role="status" class="note">
          Check your mail to confirm your address, then sign in here.
        </p>
      ) : null}
      <Form
        problem={problem}
        busy={busy}
        label="Sign in"
        onSubmit={async () => {
          const done = await run(async () => {
            await signIn(email.trim(), password);
            return true;
          });
          if (done) route(safeNext(query.next));
        }}
      >
        <Field label="Email" path="/email" type="email" value={email} onValue={setEmail} autoComplete="username" required />
        <Field
          label="Password"
          path="/password"
          type="password"
          value={password}
          onValue={setPassword}
          autoComplete="current-password"
          required
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </Form>
      <p>
        New here? <a href="/app/sign-up">Create an account</a>.
      </p>
    </Page>
  );
}
