/** The signed-in user for the screens: sign in, sign up, sign out, and a hook that follows every tab. */
import { useEffect, useState } from 'preact/hooks';
import { api, ok } from './api/client';
import { onSessionChange, readSession, type Session, sessionFrom, writeSession } from './api/session';

export function useSession(): Session | null {
  const [session, setSession] = useState(readSession);
  useEffect(() => onSessionChange(setSession), []);
  return session;
}

export async function signIn(email: string, password: string) {
  const body = await ok(api.POST('/api/v1/auth/login', { body: { email, password } }));
  writeSession(sessionFrom(body));
}

/** Registration does not sign in: the answer is the same for a new and a known email. */
export async function signUp(name: string, email: string, password: string) {
  await ok(api.POST('/api/v1/auth/register', { body: { name, email, password } }));
}

export async function signOut() {
  // The server revokes the session; the local copy goes either way.
  await api.POST('/api/v1/auth/logout').catch(() => undefined);
  writeSession(null);
}
