import { StringDecoder } from 'string_decoder';
import { Writable } from 'stream';

/**
 * A stream that hands each line written to it to `fn` (a child's output read line by line: the server's log, a
 * schema being parsed). UTF-8 split across chunks is decoded whole; a last line without its newline comes on end().
 */
export function lineWriter(fn: (line: string) => void): Writable {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) fn(line);
      cb();
    },
    final(cb) {
      rest += decoder.end();
      if (rest) fn(rest);
      cb();
    },
  });
}
