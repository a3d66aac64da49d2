/**
 * The signed-in session, shared by every tab through localStorage. Refresh tokens rotate and a
 * reused one revokes the whole session, so exactly one refresh may run at a time across tabs:
 * under a Web Lock where the browser has them (secure contexts), else under a short lease in
 * localStorage. Whoever takes the lock first re-reads the stored session; if another tab has
 * already rotated the token, it uses that result instead of refreshing again.
 */
import type { components } from './openapi.gen';

export type User = components['schemas']['User'];
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token stops being accepted. */
  expiresAt: number;
  user: User;
}

const KEY = 'zaplecze.session';
const LEASE_KEY = 'zaplecze.refresh-lease';
const TAB = Math.random().toString(36).slice(2);
const listeners = new Set<(s: Session | null) => void>();

export function readSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function writeSession(session: Session | null) {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  for (const l of listeners) l(session);
}

/** Calls `listener` when this or another tab signs in, refreshes or signs out. */
export function onSessionChange(listener: (s: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key === KEY || e.key === null) for (const l of listeners) l(readSession());
  });
}

/** The body of a login or refresh answer, as stored. */
export function sessionFrom(body: { accessToken: string; refreshToken: string; expiresIn: number; user: User }): Session {
  return { accessToken: body.accessToken, refreshToken: body.refreshToken, expiresAt: Date.now() + body.expiresIn * 1000, user: body.user };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A cross-tab mutex without Web Locks: a lease in localStorage. localStorage reaches other tabs
 * asynchronously (another renderer process), so a writer waits a settle time long enough for a
 * competing write to arrive before it checks whether its own write won. The holder renews the
 * lease while its refresh is in flight, so a slow refresh never lets a second tab in; a tab that
 * dies holding it frees it within LEASE_MS.
 */
const LEASE_MS = 5_000;
const SETTLE_MS = 150;

function readLease(): { owner: string; until: number } | null {
  try {
    return JSON.parse(localStorage.getItem(LEASE_KEY) ?? 'null');
  } catch {
    return null;
  }
}

async function withLease<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const held = readLease();
    if (!held || held.until < Date.now()) {
      localStorage.setItem(LEASE_KEY, JSON.stringify({ owner: TAB, until: Date.now() + LEASE_MS }));
      await sleep(SETTLE_MS);
      if (readLease()?.owner === TAB) {
        const renew = setInterval(() => {
          localStorage.setItem(LEASE_KEY, JSON.stringify({ owner: TAB, until: Date.now() + LEASE_MS }));
        }, LEASE_MS / 5);
        try {
          return await fn();
        } finally {
          clearInterval(renew);
          localStorage.removeItem(LEASE_KEY);
        }
      }
    }
    await sleep(50 + Math.random() * 50);
  }
  throw new Error('could not take the refresh lease');
}

function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks && globalThis.isSecureContext) return locks.request('zaplecze.refresh', fn) as Promise<T>;
  return withLease(fn);
}

let inFlight: Promise<Session | null> | null = null;

/**
 * Rotates the refresh token `stale` (the one the caller saw fail or expire). Returns the new
 * session, another tab's newer one, or null when the session is over (then it is cleared).
 */
export function refreshSession(stale: string): Promise<Session | null> {
  inFlight ??= withRefreshLock(async () => {
    const current = readSession();
    if (!current) return null;
    if (current.refreshToken !== stale) return current; // another tab rotated it already
    const res = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: stale }),
    });
    if (!res.ok) {
      if (res.status === 401 || res.status === 400) writeSession(null);
      return res.status === 401 || res.status === 400 ? null : current;
    }
    const next = sessionFrom(await res.json());
    writeSession(next);
    return next;
  }).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** A usable access token: the stored one, refreshed first when it expires within 30 s. */
export async function accessToken(): Promise<string | null> {
  const s = readSession();
  if (!s) return null;
  if (s.expiresAt - Date.now() > 30_000) return s.accessToken;
  return (await refreshSession(s.refreshToken))?.accessToken ?? null;
}
