import { Page } from '../ui/page';

export function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        There is nothing here. Go back to the <a href="/app/">catalog</a>.
      </p>
    </Page>
  );
}
