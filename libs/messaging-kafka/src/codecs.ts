import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';
import { Decoder as ZstdDecoder, Encoder as ZstdEncoder } from '@toondepauw/node-zstd';

/**
 * Every record codec Kafka supports, for kafkajs (which ships only gzip; docs/api.md §3 v1.1). Registered once per
 * process, on import of this module (kafka-client.ts imports it, so every client made by createKafka has them).
 * The registry is kafkajs's process-wide CompressionCodecs, so plain `new Kafka(...)` clients get them too.
 *
 * Packages (all napi-rs: prebuilt binaries shipped as npm optionalDependencies, nothing built or downloaded at
 * install time): `snappy` (raw snappy blocks; the xerial framing of Java/librdkafka is handled here),
 * `lz4-napi` (LZ4 frame format, as Kafka's magic v1+/v2 batches use), `@toondepauw/node-zstd` (libzstd 1.5.7;
 * decodes streaming frames without a content size, as librdkafka and zstd-jni write them, and concatenated
 * frames). gzip stays kafkajs's own (zlib).
 */

/** snappy-java's stream header: magic, then version 1 and min-compatible version 1 (big-endian int32 each). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = XERIAL_MAGIC.length + 8;
/** snappy-java's default block size: each framed chunk compresses at most this much input. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

export const isXerialFramed = (buf: Buffer): boolean => buf.length >= XERIAL_HEADER_BYTES && buf.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);

const asBuffer = (v: string | Buffer): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** Snappy as Kafka carries it: xerial-framed (Java clients, librdkafka for old formats) or a raw block. */
export async function snappyDecompress(buf: Buffer): Promise<Buffer> {
  if (!isXerialFramed(buf)) return asBuffer(await snappyUncompress(buf, { asBuffer: true }));
  const parts: Buffer[] = [];
  let pos = XERIAL_HEADER_BYTES;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new Error('truncated xerial snappy chunk header');
    const size = buf.readUInt32BE(pos);
    pos += 4;
    if (pos + size > buf.length) throw new Error('truncated xerial snappy chunk');
    parts.push(asBuffer(await snappyUncompress(buf.subarray(pos, pos + size), { asBuffer: true })));
    pos += size;
  }
  return Buffer.concat(parts);
}

/** Writes the xerial framing, which every Kafka client (Java, librdkafka, kafkajs-snappy) reads. */
export async function snappyCompressXerial(buf: Buffer): Promise<Buffer> {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, XERIAL_MAGIC.length);
  header.writeInt32BE(1, XERIAL_MAGIC.length + 4);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < buf.length; pos += XERIAL_BLOCK_BYTES) {
    const block = await snappyCompress(buf.subarray(pos, pos + XERIAL_BLOCK_BYTES));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const snappyCodec: Codec = { compress: (e) => snappyCompressXerial(e.buffer), decompress: snappyDecompress };
const lz4Codec: Codec = { compress: (e) => compressFrame(e.buffer), decompress: (b) => decompressFrame(b) };
const zstdCodec: Codec = {
  compress: (e) => new ZstdEncoder(3).encode(e.buffer),
  decompress: (b) => new ZstdDecoder().decode(b),
};

/** The codecs this module registers, by kafkajs compression type. */
export const KAFKA_CODECS: Readonly<Record<number, () => Codec>> = {
  [CompressionTypes.Snappy]: () => snappyCodec,
  [CompressionTypes.LZ4]: () => lz4Codec,
  [CompressionTypes.ZSTD]: () => zstdCodec,
};

/** Registers snappy, lz4 and zstd with kafkajs. Idempotent; runs on import. */
export function registerKafkaCodecs(): void {
  const registry = CompressionCodecs as unknown as Record<number, () => Codec>;
  for (const [type, factory] of Object.entries(KAFKA_CODECS)) registry[Number(type)] = factory;
}

registerKafkaCodecs();
