/**
 * Splits an nvidia_gpu_exporter capture (fixtures/nvidia-smi/captures) into its sections, following
 * that repo's collect.sh `section()`: a `####…` rule, `# <title>` and optional `# $ <command>` lines,
 * another rule, then the command's output up to the blank line before the next rule.
 */
export interface CaptureSection {
  readonly title: string;
  readonly command: string | null;
  readonly body: string;
}

export function splitCapture(text: string): CaptureSection[] {
  const rule = /^#{20,}$/;
  const lines = text.split("\n");
  const sections: CaptureSection[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!rule.test(lines[i]!)) {
      i++;
      continue;
    }
    const head: string[] = [];
    let j = i + 1;
    while (j < lines.length && !rule.test(lines[j]!)) head.push(lines[j++]!);
    let k = j + 1;
    while (k < lines.length && !rule.test(lines[k]!)) k++;
    const body = lines
      .slice(j + 1, k)
      .join("\n")
      .replace(/\n+$/, "\n");
    const title = (head[0] ?? "").replace(/^#\s*/, "");
    const cmd = head.find((h) => h.startsWith("# $ "));
    sections.push({ title, command: cmd ? cmd.slice(4).trim() : null, body });
    i = k;
  }
  return sections;
}
