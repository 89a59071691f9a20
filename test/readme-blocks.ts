/**
 * The ```ts blocks of a Markdown file and how the tests treat each, from an HTML comment on the
 * line before the fence (invisible on the rendered page):
 *
 *   <!-- readme-test: run -->                     type-checked, then run on tiny models
 *   <!-- readme-test: typecheck (why not run) -->  type-checked only
 *   <!-- readme-test: skip (reason) -->           neither; the reason is required
 *
 * `typecheck` and `run` may end with `; DECLARATIONS`, TypeScript put before the block, for a
 * fragment that continues an earlier one (`; declare const model: import('restoregrad').Model;`).
 */
export type BlockMode = 'run' | 'typecheck' | 'skip';

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The block's code, its fence's indentation removed. */
  code: string;
  /** Undefined when the block has no (valid) marker. */
  mode?: BlockMode;
  note?: string;
  declarations?: string;
}

const marker = /^<!-- readme-test: (run|typecheck|skip)(?: \(([^)]+)\))?(?:; (.+?))? -->$/;

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(\s*)```ts\s*$/);
    if (!open) continue;
    const indent = open[1];
    let end = i + 1;
    while (end < lines.length && lines[end] !== `${indent}\`\`\``) end++;
    const code = lines
      .slice(i + 1, end)
      .map((l) => l.slice(indent.length))
      .join('\n');
    const m = (lines[i - 1] ?? '').trim().match(marker);
    const mode = m?.[1] as BlockMode | undefined;
    // A skip without its reason counts as unmarked.
    const valid = mode !== undefined && (mode !== 'skip' || m?.[2] !== undefined);
    blocks.push({ line: i + 1, code, ...(valid ? { mode, note: m?.[2], declarations: m?.[3] } : {}) });
    i = end;
  }
  return blocks;
}
