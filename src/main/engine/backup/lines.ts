/** Calls `onLine` for every complete line of a tool's output stream, chunk by chunk. */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    lines.forEach(onLine);
  };
}
