import fs from 'fs';

/** The first bytes of a dump file (its format header), or undefined when it cannot be read. */
export async function readDumpHead(file: string, bytes = 16): Promise<Buffer | undefined> {
  const fh = await fs.promises.open(file, 'r').catch(() => null);
  if (!fh) return undefined;
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
