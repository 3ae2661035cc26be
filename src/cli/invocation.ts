/**
 * How the user runs potiron, so that every command line potiron prints (a hint such as "stop it
 * with ...", `--help`'s usage and examples) works as written where the user is: in a checkout,
 * `npm run potiron -- ...` (npm names the script it runs in `npm_lifecycle_event`, README
 * "Commands"); once installed, `potiron ...`.
 */

/** `npm run potiron --` when npm runs the checkout's `potiron` script, else `potiron`. */
export function invocation (env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_lifecycle_event === 'potiron' ? 'npm run potiron --' : 'potiron'
}

/** `args` as a command line to paste into a shell: `npm run potiron -- redis stop` or `potiron redis stop`. */
export function commandLine (args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return [invocation(env), ...args.map(shellWord)].join(' ')
}

/**
 * An argument as the shell reads it back: as it is when it holds only characters no shell treats
 * specially, else in double quotes (hints are printed between single quotes).
 */
function shellWord (arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/["\\$`]/g, '\\$&')}"`
}
