/** Key and value encodings on the command line: utf8 (default), hex or base64. */

import { InvalidArgumentError } from 'commander';

export type Encoding = 'utf8' | 'hex' | 'base64';
export const ENCODINGS: Encoding[] = ['utf8', 'hex', 'base64'];

export function decodeArg(text: string, encoding: Encoding, what: string): Buffer {
  if (encoding === 'hex' && !/^([0-9a-fA-F]{2})*$/.test(text))
    throw new InvalidArgumentError(`${what} is not hex`);
  if (encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    throw new InvalidArgumentError(`${what} is not base64`);
  return Buffer.from(text, encoding);
}

export function encodeOut(bytes: Uint8Array, encoding: Encoding): string {
  return Buffer.from(bytes).toString(encoding);
}
