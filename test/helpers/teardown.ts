/**
 * `after` hooks that always stop everything: a setup that failed halfway leaves some resources
 * undefined, and one stop that throws must not keep the others running (a server left listening
 * keeps the test process, and so `npm test`, from ever ending).
 */

/** Runs every step in order, even after one throws, then throws the first failure. */
export async function teardown (...steps: Array<() => unknown>): Promise<void> {
  const failures: unknown[] = []
  for (const step of steps) {
    try {
      await step()
    } catch (e) {
      failures.push(e)
    }
  }
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) throw new AggregateError(failures, `teardown: ${failures.length} steps failed`)
}

/**
 * `promise`, or a rejection naming `what` (a function: read when the time is up) after `ms`: a
 * wait that may never end fails the test instead.
 */
export async function within<T> (ms: number, what: string | (() => string), promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`${typeof what === 'string' ? what : what()}: nothing within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
