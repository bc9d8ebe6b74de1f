import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressSync } from 'snappy';
import { isXerialFramed, KAFKA_CODECS, snappyCompressXerial, snappyDecompress } from '@app/messaging-kafka';

const text = Buffer.from(Array.from({ length: 5000 }, (_, i) => `record ${i} of a compressible batch;`).join(' '));
type Codec = { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
const registry = CompressionCodecs as unknown as Record<number, () => Codec>;

describe('Kafka codecs', () => {
  it('are registered with kafkajs on import, for snappy, lz4 and zstd', () => {
    for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
      expect(registry[type]).toBe(KAFKA_CODECS[type]);
    }
  });

  it.each([
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ])('%s compresses and decompresses (round trip, and smaller)', async (_name, type) => {
    const codec = (registry[type] as () => Codec)();
    const packed = await codec.compress({ buffer: text });
    expect(packed.length).toBeLessThan(text.length / 2);
    expect((await codec.decompress(packed)).equals(text)).toBe(true);
    expect((await codec.decompress(await codec.compress({ buffer: Buffer.alloc(0) }))).length).toBe(0);
  });

  it('snappy reads the xerial framing (several chunks) and raw blocks, and writes xerial framing', async () => {
    const framed = await snappyCompressXerial(text);
    expect(isXerialFramed(framed)).toBe(true);
    expect(framed.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(text.length).toBeGreaterThan(32 * 1024); // more than one 32 KiB chunk
    expect((await snappyDecompress(framed)).equals(text)).toBe(true);
    const raw = compressSync(text);
    expect(isXerialFramed(raw)).toBe(false);
    expect((await snappyDecompress(raw)).equals(text)).toBe(true);
  });

  it('snappy rejects a truncated xerial stream instead of returning part of it', async () => {
    const framed = await snappyCompressXerial(text);
    await expect(snappyDecompress(framed.subarray(0, framed.length - 10))).rejects.toThrow(/truncated/);
  });
});
