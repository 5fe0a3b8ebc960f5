// Bounds on a decoded record that every source decodes records under (relay CAR blocks, Tap's
// JSON): how deep it may nest, and what its decoded values cost on the heap.

/**
 * Deepest map/array nesting a record may have. Downstream serializes records with the recursive
 * JSON.stringify, which overflows the stack near 10,000 levels (a 10 KB record): such a record
 * would throw on every retry. Real records nest well under 20 levels.
 */
export const MAX_RECORD_DEPTH = 128
/**
 * heap bytes per map, array or value of a decoded record, for the estimate decodeCommit
 * returns: an empty map @atcute/cbor builds takes about 64 bytes (measured on Node 24)
 */
export const HEAP_BYTES_PER_NODE = 64
