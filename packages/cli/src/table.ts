/** Plain text tables for the terminal. */

export function formatTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(none)';
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(keys.map((k) => k.toUpperCase())),
    ...rows.map((r) => line(keys.map((k) => String(r[k] ?? '')))),
  ].join('\n');
}

/** A key for humans: printable ASCII as is, anything else as hex; empty as the given word. */
export function showKey(key: Uint8Array | null | undefined, empty: string): string {
  if (!key || key.length === 0) return empty;
  const b = Buffer.from(key);
  return /^[\x20-\x7e]*$/.test(b.toString('latin1'))
    ? b.toString('latin1')
    : `0x${b.toString('hex')}`;
}
