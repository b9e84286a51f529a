// Loads one API resource for a view: its value, the error that stopped it, and a `reload`.
// Results of a load that a newer load (or unmount) superseded are dropped.

import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from './api/client';
import type { ApiError } from './api/wire';

export type Resource<T> = {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
  /** Replaces the loaded value, for updates that arrive over the socket or from a mutation. */
  set: (update: (current: T | undefined) => T | undefined) => void;
};

export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // The caller lists in `deps` what `load` reads, as with useEffect.
  const stableLoad = useCallback(load, deps);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    stableLoad().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (mine !== generation.current) return;
        setError(describeError(failure));
        setLoading(false);
      },
    );
  }, [stableLoad]);

  useEffect(() => {
    reload();
    return () => {
      generation.current += 1;
    };
  }, [reload]);

  return { data, error, loading, reload, set: setData };
}
