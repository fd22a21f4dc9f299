/** Addresses as the store's flags and cluster files give them: host:port, IPv6 in brackets. */

/**
 * Splits `host:port` (`[::1]:20160` too; an empty host is 127.0.0.1). Throws on a missing
 * or out-of-range port.
 */
export function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`bad address ${address}`);
  return [host, port];
}
