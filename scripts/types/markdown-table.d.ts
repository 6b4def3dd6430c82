// markdown-table 2.x ships no types; this is the part of its API the project uses.
declare module 'markdown-table' {
  function markdownTable(table: string[][], options?: { align?: string | string[] }): string;
  export = markdownTable;
}
