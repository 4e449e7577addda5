/** Single-quotes a word for sh: inside '' nothing is special except ' itself, which is closed, escaped and reopened. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
