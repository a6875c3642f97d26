import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * What labbook records of a file's content. The SHA-256 is its identity (the ETag); the
 * CRC-32/IEEE (S3's `CRC32` checksum) checks a transfer about nine times faster than a
 * SHA-256 on a CPU without SHA instructions, so a client checks its downloads by it.
 */
export interface ContentChecksums {
  /** Hex, lowercase. */
  sha256: string;
  /** Unsigned 32 bits. */
  crc32: number;
}

/**
 * Both checksums of a content, from the same pass over its bytes: whoever computes one computes
 * the other, so they are always recorded together.
 *
 * @example
 * const hasher = new ContentHasher();
 * for await (const chunk of stream) hasher.update(chunk);
 * hasher.digest(); // { sha256: "9f86…", crc32: 3632233996 }
 */
export class ContentHasher {
  readonly #sha256: Hash = createHash("sha256");
  #crc32 = 0;

  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#crc32 = crc32(chunk, this.#crc32);
  }

  /** The checksums of every byte given so far; the hasher is done after it. */
  digest(): ContentChecksums {
    return { sha256: this.#sha256.digest("hex"), crc32: this.#crc32 };
  }
}

/**
 * A CRC-32 as it is shown (`x-labbook-crc32`, the API): eight lowercase hex digits.
 *
 * @example
 * crc32Hex(0x1c291ca3); // "1c291ca3"
 * crc32Hex(255); // "000000ff"
 */
export const crc32Hex = (value: number): string => value.toString(16).padStart(8, "0");
