// The app's state in one place; components re-render when it changes.
import { useEffect, useReducer } from './html.js';

let state = {
  booted: false,
  online: navigator.onLine,
  me: null,
  instruments: null,
  outbox: [],
  signinNeeded: false,
  updateReady: false,
};
const listeners = new Set();

export const getState = () => state;

export function setState(patch) {
  state = { ...state, ...patch };
  for (const listener of listeners) listener();
}

/** The current state; the calling component re-renders on every change. */
export function useAppState() {
  const [, rerender] = useReducer((n) => n + 1, 0);
  useEffect(() => {
    listeners.add(rerender);
    return () => listeners.delete(rerender);
  }, []);
  return state;
}
