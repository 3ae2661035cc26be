/** ioredis's own CRC16 of Redis Cluster, which ships without types. */
declare module 'cluster-key-slot' {
  /** The hash slot (0-16383) of a key: CRC16 of the key, or of its hash tag. */
  export default function calculateSlot (key: string | Buffer): number
}
