import type { EvaluationReport } from './types.ts';
import type { Accuracy, OpenSetReport, RunSummary } from './protocols.ts';

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–');
const pm = (s: RunSummary) => (Number.isFinite(s.mean) ? `${pct(s.mean)} ± ${(s.std * 100).toFixed(1)}` : '–');
const num = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** The report as text for people; `--json` prints the object itself. */
export function formatReport(r: EvaluationReport): string {
  const lines: string[] = [];
  const title = {
    closed: 'closed set',
    fewshot: `few-shot (${r.options.shots} shots)`,
    dlc: `DLC (${r.options.shots} shots per new character)`,
  }[r.protocol];
  lines.push(`idoltag eval: ${title}`);
  lines.push(`  data      ${r.sources.join(', ')}`);
  lines.push(
    `            ${r.embedded} of ${r.items} pictures embedded (${r.input}), ${Object.keys(r.characters).length} characters`,
  );
  lines.push(`  embedder  ${r.embedder}`);
  if (r.skipped.length)
    lines.push(
      `  skipped   ${r.skipped.length}: ${r.skipped
        .slice(0, 3)
        .map((s) => `${s.path} (${s.error})`)
        .join('; ')}${r.skipped.length > 3 ? '; …' : ''}`,
    );

  if (r.closed) {
    const c = r.closed;
    lines.push(
      '',
      `  split     ${c.split}`,
      `  taught    ${c.train} faces of ${c.characters} characters; ${c.overall.queries} queries`,
      '',
    );
    lines.push(...accuracyLines(c.overall));
    lines.push('', `  ${'character'.padEnd(28)}queries   top-1   named`);
    for (const [name, a] of Object.entries(c.perCharacter)) {
      lines.push(
        `  ${name.padEnd(28)}${String(a.queries).padStart(7)}  ${pct(a.top1).padStart(7)} ${pct(a.labelAccuracy).padStart(7)}`,
      );
    }
    lines.push('', '  confusion (rows: truth; columns: the answer after the gate, ? = unknown)');
    const cols = c.confusion.columns.map((col, i) => (col === '(unknown)' ? '?' : String(i + 1)));
    const width = Math.max(3, ...c.confusion.matrix.flat().map((v) => String(v).length + 1));
    lines.push(`  ${''.padEnd(32)}${cols.map((x) => x.padStart(width)).join('')}`);
    c.confusion.labels.forEach((label, i) => {
      lines.push(
        `  ${`${i + 1} ${label}`.slice(0, 31).padEnd(32)}${c.confusion.matrix[i].map((v) => (v ? String(v) : '.').padStart(width)).join('')}`,
      );
    });
  }
  if (r.fewShot) {
    const f = r.fewShot;
    lines.push(
      '',
      `  ${f.seeds} runs: ${f.shots} faces taught per character (${f.characters} characters), ${f.queries} queries each`,
    );
    if (f.skipped.length) lines.push(`  too few pictures for ${f.shots} shots + a query: ${f.skipped.join(', ')}`);
    lines.push('', `  top-1 (best candidate)          ${pm(f.top1)}`);
    lines.push(`  named right (after the gate)    ${pm(f.labelAccuracy)}`);
    lines.push(`  answered "unknown"              ${pm(f.unknownRate)}`);
  }
  if (r.dlc) {
    const d = r.dlc;
    lines.push('', `  old       ${d.oldCharacters.length} characters: ${d.oldCharacters.join(', ')}`);
    lines.push(`  new       ${d.newCharacters.length} characters: ${d.newCharacters.join(', ')}`);
    lines.push(`  split     ${d.split}`, `  backbone  ${d.backbone}`, '');
    lines.push(`  ${''.padEnd(36)}top-1            named right`);
    lines.push(
      `  ${'old, before the new ones'.padEnd(36)}${pct(d.oldBefore.top1).padEnd(17)}${pct(d.oldBefore.labelAccuracy)}   (${d.oldBefore.queries} queries)`,
    );
    lines.push(
      `  ${'old, after teaching the new ones'.padEnd(36)}${pm(d.oldAfter.top1).padEnd(17)}${pm(d.oldAfter.labelAccuracy)}`,
    );
    lines.push(
      `  ${`new, ${d.shots} shots each`.padEnd(36)}${pm(d.new.top1).padEnd(17)}${pm(d.new.labelAccuracy)}   (${d.new.queries} queries, ${d.seeds} runs)`,
    );
    if (d.new.skipped.length)
      lines.push(`  too few pictures for ${d.shots} shots + a query: ${d.new.skipped.join(', ')}`);
  }
  if (r.openSet) lines.push('', ...openSetLines(r.openSet));
  lines.push(
    '',
    `  time      embedding ${(r.timings.embedMs / 1000).toFixed(1)} s, evaluation ${(r.timings.evaluateMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

function accuracyLines(a: Accuracy): string[] {
  return [
    `  top-1 (best candidate)          ${pct(a.top1)}`,
    `  named right (after the gate)    ${pct(a.labelAccuracy)}`,
    `  answered "unknown"              ${pct(a.unknownRate)}`,
  ];
}

function openSetLines(o: OpenSetReport): string[] {
  const point = (p: OpenSetReport['atPrecision'], score: string) =>
    p.reached
      ? `${pct(p.unknownRejected)} of never-taught faces rejected, ${pct(p.knownAccepted)} of taught ones still named (${score} ≥ ${num(p.threshold)})`
      : 'not reachable: even the most confident answers are wrong too often';
  const q = o.probability;
  return [
    `  open set  never-taught faces: ${o.unknownSource}`,
    `            ${o.known} taught-character queries against ${o.unknown} never-taught faces`,
    `                                 by centroid cosine                  by softmax probability`,
    `  AUROC known vs never-taught    ${num(o.auroc).padEnd(36)}${num(q.auroc)}`,
    `  at ${pct(o.atPrecision.target)} precision            ${point(o.atPrecision, 'cosine')}`,
    `                                 ${point(q.atPrecision, 'probability')}`,
    `  keeping ${pct(o.atRecall.target)} of taught faces  ${pct(o.atRecall.unknownRejected).padEnd(36)}${pct(q.atRecall.unknownRejected)}   of never-taught faces rejected`,
    `  the bot's own gate             rejects ${pct(o.gate.unknownRejected)} of never-taught faces; names ${pct(o.gate.knownAccepted)} of taught ones, ${pct(o.gate.knownNamedRight)} right`,
  ];
}
