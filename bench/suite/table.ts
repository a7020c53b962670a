/** The short table `npm run bench` prints from its report. */
export function printTable(r: Record<string, any>): void {
  const line = (name: string, value: string, target = '') =>
    console.log(`${name.padEnd(44)}${value.padEnd(34)}${target}`);
  console.log(
    `\nidoltag bench, ${r.date.slice(0, 16)}, ${r.machine.cpu} × ${r.machine.cores}, load ${r.loadAverage.start[0]} → ${r.loadAverage.end[0]}\n`,
  );
  line('measure', 'median / p95 (or value)', 'target');
  if (r.tag) {
    const t = r.tag.ms;
    line(
      `screenshot → tags (${r.tag.screenshots} shots, ${r.tag.faces} faces)`,
      `${t.total.median} / ${t.total.p95} ms`,
      '≤ 60 ms median',
    );
    line('  decode', `${t.decode.median} / ${t.decode.p95} ms`);
    line(`  detect (${r.tag.detector})`, `${t.detect.median} / ${t.detect.p95} ms`);
    line('  embed', `${t.embed.median} / ${t.embed.p95} ms`);
    line('  head', `${t.head.median} / ${t.head.p95} ms`);
    line('  CPU time per screenshot', `${t.cpu.median} / ${t.cpu.p95} ms`);
  }
  if (r.tag1080) {
    const t = r.tag1080.ms;
    line(`the same in 1920×1080 frames (${r.tag1080.frames})`, `${t.total.median} / ${t.total.p95} ms`);
    line('  detect', `${t.detect.median} / ${t.detect.p95} ms`);
  }
  if (r.baseline?.ms) {
    const b = r.baseline.ms;
    line('seed-style ResNet18 @522 (same crops)', `${b.total.median} / ${b.total.p95} ms`);
    line('  network only, per crop', `${b.perCrop.median} / ${b.perCrop.p95} ms`);
    if (r.baseline.ratioOursToBaseline !== undefined)
      line('  ours ÷ baseline (median)', `${r.baseline.ratioOursToBaseline}×`, '≤ 0.5×');
  } else if (r.baseline?.error) line('seed-style baseline', r.baseline.error.slice(0, 60));
  if (r.embed) {
    for (const run of r.embed.runs)
      line(
        `embed: ${run.threads} thread(s), batch ${run.batch}`,
        `${run.cropsPerSecond} crops/s (${run.msPerCrop} ms/crop)`,
      );
  }
  if (r.head) {
    for (const h of r.head.refits)
      line(
        `head refit ${h.faces / 1000}k × ${h.characters} (${h.fit})`,
        `${h.wallMs} ms wall, ${h.cpuMs} ms CPU`,
        h.faces === 50000 && h.characters === 200 ? '≤ 2000 ms' : '',
      );
    for (const q of r.head.reducedVsExact)
      line(
        `  top-1 reduced vs exact, ${q.faces / 1000}k × ${q.characters}`,
        `${q.reduced.top1} vs ${q.exact.top1} (held out)`,
      );
  }
  if (r.refit)
    for (const x of r.refit.runs)
      line(
        `  via HeadService + SQLite, ${x.kind}, ${Math.round(x.faces / 1000)}k × ${x.characters}`,
        `${x.refitWallMs} ms (fit ${x.fitMs}, rest ${x.otherMs})`,
        x.faces >= 50000 ? '≤ 2000 ms' : '',
      );
  if (r.accuracy)
    line('nagadomi10 closed set, named right', `${r.accuracy.labelAccuracy} (top-1 ${r.accuracy.top1})`, '≥ 0.88');
  if (r.teach)
    line(
      `teach 5 → recognised (guild of ${r.teach.guildFaces})`,
      `${r.teach.medianMs} ms median; ${r.teach.runs.reduce((n: number, x: any) => n + x.recognised, 0)}/${r.teach.runs.reduce((n: number, x: any) => n + x.queries, 0)} later crops named right`,
      '≤ 2000 ms',
    );
  if (r.sort) line(`sort (${r.sort.screenshots} screenshots)`, `${r.sort.imagesPerSecond} images/s`);
  line('peak RSS', `${r.peakRssMB} MB`);
}
