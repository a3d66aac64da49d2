/** Screens for signed-in people (or admins) render a sign-in prompt instead when nobody is. */
import type { ComponentChildren } from 'preact';
import { useSession } from './auth';
import { Page } from './ui/page';

export function RequireUser(props: { title: string; admin?: boolean; children: ComponentChildren }) {
  const session = useSession();
  if (!session) {
    return (
      <Page title={props.title}>
        <p>
          Please <a href={`/app/sign-in?next=${encodeURIComponent(location.pathname)}`}>sign in</a> to see this page.
        </p>
      </Page>
    );
  }
  if (props.admin && session.user.role !== 'admin') {
    return (
      <Page title={props.title}>
        <p>This page is for administrators.</p>
      </Page>
    );
  }
  return <>{props.children}</>;
}
