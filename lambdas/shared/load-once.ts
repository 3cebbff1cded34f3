/**
 * Memoises an asynchronous load (a dynamic `import()` and the client or store built from it) for the
 * container's lifetime, so every caller shares one load. A failed load is not remembered: that call rejects
 * (its caller answers "retry me") and the next call tries again.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= Promise.resolve()
      .then(load)
      .catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
    return loading;
  };
}
