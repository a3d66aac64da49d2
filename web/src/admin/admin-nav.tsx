/** The admin sub-navigation, shared by the admin screens. */
import { useLocation } from 'preact-iso';

const LINKS: [string, string][] = [
  ['/app/admin', 'Dashboard'],
  ['/app/admin/orders', 'Orders'],
  ['/app/admin/products', 'Products'],
  ['/app/admin/users', 'Users'],
];

export function AdminNav() {
  const { path } = useLocation();
  return (
    <nav aria-label="Admin" class="subnav">
      {LINKS.map(([href, text]) => (
        <a key={href} href={href} aria-current={path === href ? 'page' : undefined}>
          {text}
        </a>
      ))}
    </nav>
  );
}
