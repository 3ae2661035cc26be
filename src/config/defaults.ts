/** Defaults that are not a command-line option's own default, in one place. */
export const DEFAULTS = {
  /** Destination ports listed by `inspect`. */
  topPorts: 10
} as const
