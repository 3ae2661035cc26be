/**
 * potiron's defaults, in one fully populated object: what each setting is when nobody says.
 * Command-line options take their `default:` from here, and so does the code behind them.
 */
export const DEFAULTS = {
  /** Destination ports listed by `inspect`. */
  topPorts: 10,
  /** IANA zone of days (`--tz`). */
  zone: 'UTC',
  /** Redis when neither --redis, --unix nor $REDIS_URL says where. */
  redisUrl: 'redis://127.0.0.1:6379',
  /** Seconds a Redis command may go unanswered before the run gives up (`POTIRON_REDIS_TIMEOUT`). */
  redisTimeoutSeconds: 60,
  /** Milliseconds to connect to Redis. */
  redisConnectMs: 3000,
  /** Values per table or chart of export, plot, report and `ingest --report` (`--limit`): the original's top 10. */
  reportLimit: 10,
  /** Where `potiron serve` listens (`--host`, `--port`): loopback only. */
  serveHost: '127.0.0.1',
  servePort: 8080,
  /** Days of the dashboard's overview timelines and of a value's evolution (`days=`). */
  overviewDays: 7,
  evolutionDays: 180
} as const
