/**
 * Help for one subcommand, cut from the overall usage text: its `mnvault CMD …` lines, each with
 * the indented lines that continue it, then the text after the list (the shared notes). A
 * subcommand added to the usage text gets its help without a change here.
 */
export function commandUsage(usage: string, command: string): string | undefined {
  const lines = usage.split('\n');
  const head = lines[0] ?? '';
  const picked: string[] = [];
  let taking = false;
  let listEnd = lines.length;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const cmd = /^ {2}mnvault (\S+)/u.exec(line);
    if (cmd) {
      taking = cmd[1] === command;
      if (taking) picked.push(line);
      listEnd = i + 1;
      continue;
    }
    if (/^ {3,}\S/u.test(line) && listEnd === i) {
      if (taking) picked.push(line);
      listEnd = i + 1;
      continue;
    }
    taking = false;
  }
  if (picked.length === 0) return undefined;
  const notes = lines.slice(listEnd).join('\n').replace(/^\n+/u, '');
  return `${head}\n\n使い方:\n${picked.join('\n')}\n\n${notes}`;
}

/** True when the arguments ask for help (`--help` or `-h` anywhere before a lone `--`). */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}
