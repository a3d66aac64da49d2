/** The browser client: layout, navigation and routes. Screens other than the catalog load lazily. */
import { render } from 'preact';
import { ErrorBoundary, LocationProvider, lazy, Route, Router, useLocation } from 'preact-iso';
import { signOut, useSession } from './auth';
import { Catalog } from './screens/catalog';
import { NotFound } from './screens/not-found';
import './styles.css';

const ProductPage = lazy(() => import('./screens/product').then((m) => m.ProductPage));
const SignIn = lazy(() => import('./screens/sign-in').then((m) => m.SignIn));
const SignUp = lazy(() => import('./screens/sign-up').then((m) => m.SignUp));
const CartPage = lazy(() => import('./screens/cart').then((m) => m.CartPage));
const Checkout = lazy(() => import('./screens/checkout').then((m) => m.Checkout));
const Orders = lazy(() => import('./screens/orders').then((m) => m.Orders));
const OrderPage = lazy(() => import('./screens/order').then((m) => m.OrderPage));
const Chat = lazy(() => import('./screens/chat').then((m) => m.Chat));
const Todos = lazy(() => import('./screens/todos').then((m) => m.Todos));
const Files = lazy(() => import('./screens/files').then((m) => m.Files));
const AdminDashboard = lazy(() => import('./admin/dashboard').then((m) => m.AdminDashboard));
const AdminUsers = lazy(() => import('./admin/users').then((m) => m.AdminUsers));
const AdminProducts = lazy(() => import('./admin/products').then((m) => m.AdminProducts));
const AdminOrders = lazy(() => import('./admin/orders').then((m) => m.AdminOrders));

function NavLink(props: { href: string; children: string }) {
  const { path } = useLocation();
  const current = props.href === '/app/' ? path === '/app/' || path === '/app' : path.startsWith(props.href);
  return (
    <a href={props.href} aria-current={current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}

function Header() {
  const session = useSession();
  const { route } = useLocation();
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <a class="brand" href="/app/">
        Zaplecze
      </a>
      <nav aria-label="Main">
        <NavLink href="/app/">Catalog</NavLink>
        {session ? (
          <>
            <NavLink href="/app/cart">Cart</NavLink>
            <NavLink href="/app/orders">Orders</NavLink>
            <NavLink href="/app/chat">Chat</NavLink>
            <NavLink href="/app/todos">Todos</NavLink>
            <NavLink href="/app/files">Files</NavLink>
            {session.user.role === 'admin' ? <NavLink href="/app/admin">Admin</NavLink> : null}
          </>
        ) : null}
      </nav>
      <div class="who">
        {session ? (
          <>
            <span>{session.user.name}</span>
            <button
              type="button"
              class="link"
              onClick={async () => {
                await signOut();
                route('/app/sign-in');
              }}
            >
              Sign out
            </button>
          </>
        ) : (
          <>
            <NavLink href="/app/sign-in">Sign in</NavLink>
            <NavLink href="/app/sign-up">Sign up</NavLink>
          </>
        )}
      </div>
    </header>
  );
}

function App() {
  return (
    <LocationProvider scope="/app">
      <Header />
      <main id="main">
        <ErrorBoundary>
          <Router>
            <Route path="/app" component={Catalog} />
            <Route path="/app/" component={Catalog} />
            <Route path="/app/products/:id" component={ProductPage} />
            <Route path="/app/sign-in" component={SignIn} />
            <Route path="/app/sign-up" component={SignUp} />
            <Route path="/app/cart" component={CartPage} />
            <Route path="/app/checkout" component={Checkout} />
            <Route path="/app/orders" component={Orders} />
            <Route path="/app/orders/:id" component={OrderPage} />
            <Route path="/app/chat" component={Chat} />
            <Route path="/app/chat/:room" component={Chat} />
            <Route path="/app/todos" component={Todos} />
            <Route path="/app/files" component={Files} />
            <Route path="/app/admin" component={AdminDashboard} />
            <Route path="/app/admin/users" component={AdminUsers} />
            <Route path="/app/admin/products" component={AdminProducts} />
            <Route path="/app/admin/orders" component={AdminOrders} />
            <Route default component={NotFound} />
          </Router>
        </ErrorBoundary>
      </main>
    </LocationProvider>
  );
}

const root = document.getElementById('root');
if (root) render(<App />, root);
