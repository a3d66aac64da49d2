/**
 * Registration answers the same for a new and an already known email (no account enumeration),
 * and signs nobody in: the next step is always "check your mail, then sign in".
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { signUp } from '../auth';
import { Field, Form } from '../ui/form';
import { Page } from '../ui/page';
import { useAction } from '../ui/use-load';

export function SignUp() {
  const { route } = useLocation();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, problem, run } = useAction();
  return (
    <Page title="Create an account">
      <Form
        problem={problem}
        busy={busy}
        label="Create an account"
        onSubmit={async () => {
          const done = await run(async () => {
            await signUp(name.trim(), email.trim(), password);
            return true;
          });
          if (done) route(`/app/sign-in?registered=1&email=${encodeURIComponent(email.trim())}`);
        }}
      >
        <Field label="Name" path="/name" value={name} onValue={setName} autoComplete="name" required />
        <Field label="Email" path="/email" type="email" value={email} onValue={setEmail} autoComplete="email" required />
        <Field
          label="Password"
          path="/password"
          type="password"
          value={password}
          onValue={setPassword}
          autoComplete="new-password"
          hint="At least 8 characters; a passphrase works well."
          required
        />
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </Form>
    </Page>
  );
}
