/**
 * Numbers of the two capture formats potiron reads.
 * Classic pcap: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap
 * pcapng: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng
 */

import { MAX_RECORD_BYTES } from './types.js'

/** The first four bytes of a file, read as a big-endian u32, for each format we recognise. */
export const MAGIC_PCAP_USEC = 0xa1b2c3d4
export const MAGIC_PCAP_USEC_SWAPPED = 0xd4c3b2a1
export const MAGIC_PCAP_NSEC = 0xa1b23c4d
export const MAGIC_PCAP_NSEC_SWAPPED = 0x4d3cb2a1
/** Alexey Kuznetzov's patched libpcap: records carry 8 more bytes (ifindex, protocol, pkt_type). */
export const MAGIC_PCAP_MODIFIED = 0xa1b2cd34
export const MAGIC_PCAP_MODIFIED_SWAPPED = 0x34cdb2a1
/** The pcapng Section Header Block type, a palindrome so that it reads the same in both orders. */
export const MAGIC_PCAPNG = 0x0a0d0d0a
/** gzip member header bytes (RFC 1952 ID1 ID2). */
export const GZIP_ID1 = 0x1f
export const GZIP_ID2 = 0x8b

// gzip member layout (https://www.rfc-editor.org/rfc/rfc1952, section 2.3).
/** ID1 ID2 CM FLG MTIME(4) XFL OS. */
export const GZIP_HEADER_BYTES = 10
export const GZIP_OFF_CM = 2
export const GZIP_OFF_FLG = 3
export const GZIP_CM_DEFLATE = 8
export const GZIP_FLG_FHCRC = 0x02
export const GZIP_FLG_FEXTRA = 0x04
export const GZIP_FLG_FNAME = 0x08
export const GZIP_FLG_FCOMMENT = 0x10
/** Bits 5..7 of FLG are reserved: zlib refuses a header that sets them. */
export const GZIP_FLG_RESERVED = 0xe0
/** CRC-32 and ISIZE, little-endian. */
export const GZIP_TRAILER_BYTES = 8

/** Bytes needed to tell the formats apart. */
export const SNIFF_BYTES = 4

// Classic pcap layout (draft-ietf-opsawg-pcap, sections 4 and 5).
export const PCAP_FILE_HEADER_BYTES = 24
export const PCAP_RECORD_HEADER_BYTES = 16
export const PCAP_MODIFIED_RECORD_HEADER_BYTES = 24
export const PCAP_VERSION_MAJOR = 2
export const PCAP_OFF_VERSION_MAJOR = 4
export const PCAP_OFF_SNAPLEN = 16
export const PCAP_OFF_LINKTYPE = 20
export const PCAP_OFF_TS_SEC = 0
export const PCAP_OFF_TS_FRAC = 4
export const PCAP_OFF_CAPLEN = 8
export const PCAP_OFF_ORIGLEN = 12
/** LinkType and additional information field: link type in the low 16 bits. */
export const PCAP_LINKTYPE_MASK = 0x0000ffff
/** Bits 16..25 are reserved and must be zero (libpcap LT_RESERVED1); bits 26..31 are FCS info. */
export const PCAP_LINKTYPE_RESERVED_MASK = 0x03ff0000

// pcapng layout (draft-ietf-opsawg-pcapng, section 3.1 and 4).
export const BT_SHB = MAGIC_PCAPNG
export const BT_IDB = 0x00000001
export const BT_PB = 0x00000002
export const BT_SPB = 0x00000003
export const BT_NRB = 0x00000004
export const BT_ISB = 0x00000005
export const BT_EPB = 0x00000006
export const BT_DSB = 0x0000000a
export const BT_CUSTOM = 0x00000bad
export const BT_CUSTOM_NOCOPY = 0x40000bad

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d
export const PCAPNG_VERSION_MAJOR = 1

/** Block Type + Block Total Length. */
export const BLOCK_HEADER_BYTES = 8
/** Block Type + Block Total Length + Byte-Order Magic: what an SHB needs before its length can be read. */
export const SHB_PREFIX_BYTES = 12
/** Trailing Block Total Length. */
export const BLOCK_TRAILER_BYTES = 4
/** The smallest block: header and trailer with an empty body. */
export const MIN_BLOCK_BYTES = BLOCK_HEADER_BYTES + BLOCK_TRAILER_BYTES
/** Blocks are padded to 32 bits. */
export const BLOCK_ALIGN = 4

export const BLOCK_OFF_LENGTH = 4
export const SHB_OFF_BOM = 8
export const SHB_OFF_VERSION_MAJOR = 12
export const SHB_OFF_VERSION_MINOR = 14
export const SHB_OPTIONS = 24
export const IDB_OFF_LINKTYPE = 8
export const IDB_OFF_SNAPLEN = 12
export const IDB_OPTIONS = 16
/** EPB and obsolete PB share this layout, except that PB's interface id is 16 bits. */
export const EPB_OFF_INTERFACE = 8
export const EPB_OFF_TS_HIGH = 12
export const EPB_OFF_TS_LOW = 16
export const EPB_OFF_CAPLEN = 20
export const EPB_OFF_ORIGLEN = 24
export const EPB_DATA = 28
export const SPB_OFF_ORIGLEN = 8
export const SPB_DATA = 12

export const OPT_ENDOFOPT = 0
export const OPT_IF_TSRESOL = 9
export const OPT_IF_TSOFFSET = 14
/** Option Code + Option Length. */
export const OPTION_HEADER_BYTES = 4
export const OPTION_OFF_LENGTH = 2
export const TSRESOL_BYTES = 1
/** if_tsresol: high bit set means a power of 2, else a power of 10; the rest is the exponent. */
export const TSRESOL_BINARY_FLAG = 0x80
export const TSRESOL_EXPONENT_MASK = 0x7f
/** Without if_tsresol, timestamps count microseconds. */
export const DEFAULT_TSRESOL_EXPONENT = 6
export const TSOFFSET_BYTES = 8

/**
 * Packet blocks may hold a MAX_RECORD_BYTES packet plus its fixed fields and some options
 * (comments, flags, hashes): 64 KiB of slack is far more than any writer emits.
 */
export const MAX_PACKET_BLOCK_BYTES = MAX_RECORD_BYTES + 64 * 1024
/**
 * Other blocks (SHB, IDB, NRB, ISB, DSB, custom) are bounded like Wireshark bounds them
 * (16 MiB): a name table or TLS key log can be big, but a bigger one means a corrupt length,
 * and the reader must buffer a whole block that straddles two chunks.
 */
export const MAX_OTHER_BLOCK_BYTES = 16 * 1024 * 1024
/**
 * Interfaces a pcapng section may declare: each IDB is kept (an object on the heap) for the
 * section's packets to refer to, so their number is what the file claims, not what any one
 * block holds. 2^16 is what an obsolete Packet Block can address and far more than any writer
 * emits; 50M IDBs fit in a 2.4 MB gzip and exhausted the heap before this limit.
 */
export const MAX_INTERFACES_PER_SECTION = 65536

export const NSEC_PER_SEC = 1e9
export const USEC_PER_SEC = 1e6
export const NSEC_PER_USEC = 1000
export const TWO_POW_32 = 0x1_0000_0000
