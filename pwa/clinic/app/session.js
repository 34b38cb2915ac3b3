// Who is signed in to the workspace (from GET /api/me at start), and signing out.
import { api, ApiError } from './api.js';

let me = null;
const beforeSignOut = [];

export function setMe(value) {
  me = value;
}

/** The signed-in staff member: { user_id, email, display_name, role, clinic: { id, name } }. */
export const getMe = () => me;
export const useMe = () => me;
export const isAdmin = (user = me) => Boolean(user && user.role === 'admin');

/**
 * Something to do before this browser signs out (such as stopping this device's notifications,
 * which would otherwise reach whoever signs in next). It may return a promise; a failure of it
 * never stops the sign-out.
 */
export function onSignOut(task) {
  beforeSignOut.push(task);
}

/** End this browser's session and go back to the sign-in screen at `/`. */
export async function signOut() {
  for (const task of beforeSignOut) {
    try {
      await task();
    } catch {
      // Signing out matters more than tidying up.
    }
  }
  try {
    await api.post('/api/auth/logout', undefined, { signInOn401: false });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  }
  me = null;
  location.replace('/');
}
