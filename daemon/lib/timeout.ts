/**
 * `p`, or a rejection once `ms` have passed, saying what took too long. JavaScript cannot stop what `p` stands for:
 * the caller stops waiting, and whatever settles it later is ignored.
 */
export function withTimeout<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
