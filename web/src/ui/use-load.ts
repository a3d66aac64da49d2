/** Loads data for a screen and tracks busy / problem, so screens show both the same way. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { type ApiProblem, asProblem } from '../api/problem';

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [busy, setBusy] = useState(true);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const reload = useCallback(async () => {
    setBusy(true);
    try {
      setData(await load());
      setProblem(null);
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, setData, busy, problem, reload };
}

/** Runs an action (a button, a form) with busy and problem state. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const run = useCallback(async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setProblem(null);
    try {
      return await action();
    } catch (err) {
      setProblem(asProblem(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, problem, run, setProblem };
}
