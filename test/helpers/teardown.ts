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
