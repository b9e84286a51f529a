// Whether the browser lacks a valid session cookie: set by the API client on any 401 and read
// by the app to show the login view instead of the page it cannot load.

import { useSyncExternalStore } from 'react';

export type AuthState = {
  loginRequired(): boolean;
  requireLogin(): void;
  subscribe(listener: () => void): () => void;
};

export function createAuthState(): AuthState {
  const listeners = new Set<() => void>();
  let required = false;
  return {
    loginRequired: () => required,
    requireLogin: () => {
      if (required) return;
      required = true;
      listeners.forEach((listener) => listener());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useLoginRequired(auth: AuthState): boolean {
  return useSyncExternalStore(auth.subscribe, auth.loginRequired);
}
