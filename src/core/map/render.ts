import { escapeXml } from '../xml.ts';

/**
 * Draws an embedding map: one colour per character, taught (human-labelled) faces solid,
 * predictions faded in their character's colour, unknown faces grey, highlighted ("new")
 * characters ringed and bold in the legend. Produces SVG (rasterised by the caller with sharp)
 * and a self-contained HTML page (inline SVG, hover names and crops, no external resources).
 */
export type PointKind = 'human' | 'predicted' | 'unknown';

export interface MapPoint {
  x: number;
  y: number;
  /** Display name; null for unknown faces. */
  character: string | null;
  kind: PointKind;
  faceId: number;
  /** data: URI of a small crop, for the HTML hover. */
  thumb?: string;
  /** Extra hover text (source file, confidence, …). */
  note?: string;
}

export interface MapRenderOptions {
  title: string;
  subtitle?: string;
  highlight?: Iterable<string>;
  width?: number;
  height?: number;
}

/**
 * Trubetskoy's 20 distinct colours, with the pale ones (which vanish when faded) replaced by
 * mid-tones and the grey (kept for unknown faces) by near-black; most distinct first. Beyond 20,
 * evenly spaced hues.
 */
const PALETTE = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#9a6324',
  '#000075',
  '#800000',
  '#808000',
  '#469990',
  '#e6b800',
  '#ff9eb5',
  '#a58bd6',
  '#222222',
  '#7fd4a8',
  '#c9a27e',
  '#8c564b',
];
const UNKNOWN_COLOUR = '#8c8c8c';

export function characterColours(characters: string[]): Map<string, string> {
  return new Map(
    characters.map((c, i) => [c, i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)} 70% 45%)`]),
  );
}

interface Layout {
  width: number;
  height: number;
  plot: { x: number; y: number; w: number; h: number };
  legendX: number;
  colours: Map<string, string>;
  /** Characters by number of faces, most first. */
  order: Array<{ name: string; human: number; predicted: number }>;
  highlight: Set<string>;
  px: (p: MapPoint) => [number, number];
}

function layout(points: MapPoint[], options: MapRenderOptions): Layout {
  const width = options.width ?? 1600;
  const height = options.height ?? 1000;
  const top = 84;
  const plot = { x: 24, y: top, w: width - 24 - 400, h: height - top - 24 };
  const counts = new Map<string, { human: number; predicted: number }>();
  for (const p of points) {
    if (!p.character) continue;
    const c = counts.get(p.character) ?? { human: 0, predicted: 0 };
    if (p.kind === 'human') c.human++;
    else c.predicted++;
    counts.set(p.character, c);
  }
  const order = [...counts]
    .map(([name, c]) => ({ name, ...c }))
    .sort((a, b) => b.human + b.predicted - (a.human + a.predicted) || a.name.localeCompare(b.name));
  // Colours by name order, so a character keeps its colour when counts change.
  const colours = characterColours([...counts.keys()].sort((a, b) => a.localeCompare(b)));
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // UMAP's axes carry no units, so each is stretched to fill the plot.
  const margin = 22;
  const sx = (plot.w - 2 * margin) / (maxX - minX || 1);
  const sy = (plot.h - 2 * margin) / (maxY - minY || 1);
  return {
    width,
    height,
    plot,
    legendX: plot.x + plot.w + 28,
    colours,
    order,
    highlight: new Set(options.highlight ?? []),
    px: (p) => [plot.x + margin + (p.x - minX) * sx, plot.y + margin + (maxY - p.y) * sy],
  };
}

function pointSvg(p: MapPoint, l: Layout, index?: number): string {
  const [x, y] = l.px(p);
  const data = index === undefined ? '' : ` data-i="${index}"`;
  if (p.kind === 'unknown' || !p.character) {
    return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.6" fill="${UNKNOWN_COLOUR}" fill-opacity="0.8"${data}/>`;
  }
  const colour = l.colours.get(p.character)!;
  const ring = l.highlight.has(p.character) ? ` stroke="#111" stroke-width="1.6"` : ' stroke="#fff" stroke-width="0.6"';
  return p.kind === 'human'
    ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${colour}"${ring}${data}/>`
    : `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${colour}" fill-opacity="0.3" stroke="${colour}" stroke-opacity="0.6" stroke-width="0.8"${data}/>`;
}

/**
 * Character names at the median of their taught faces, nudged (larger groups first) to the nearest
 * free spot so that names do not sit on each other.
 */
function clusterLabels(points: MapPoint[], l: Layout): string {
  const by = new Map<string, Array<[number, number]>>();
  for (const p of points)
    if (p.kind === 'human' && p.character) by.set(p.character, [...(by.get(p.character) ?? []), l.px(p)]);
  const placed: Array<{ x0: number; x1: number; y0: number; y1: number }> = [];
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const offsets = [
    [0, 0],
    [0, -16],
    [0, 16],
    [0, -32],
    [0, 32],
    [-60, 0],
    [60, 0],
    [-60, -16],
    [60, -16],
    [-60, 16],
    [60, 16],
    [0, -48],
    [0, 48],
  ];
  return [...by]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([name, xy]) => {
      const cx = median(xy.map((q) => q[0]));
      const cy = median(xy.map((q) => q[1])) - 8;
      const w = name.length * 7.6 + 6;
      let spot = { x: cx, y: cy };
      for (const [dx, dy] of offsets) {
        const box = { x0: cx + dx - w / 2, x1: cx + dx + w / 2, y0: cy + dy - 12, y1: cy + dy + 3 };
        if (!placed.some((o) => box.x0 < o.x1 && o.x0 < box.x1 && box.y0 < o.y1 && o.y0 < box.y1)) {
          spot = { x: cx + dx, y: cy + dy };
          break;
        }
      }
      placed.push({ x0: spot.x - w / 2, x1: spot.x + w / 2, y0: spot.y - 12, y1: spot.y + 3 });
      const bold = l.highlight.has(name) ? 'bold' : 'normal';
      return `<text x="${spot.x.toFixed(1)}" y="${spot.y.toFixed(1)}" text-anchor="middle" font-size="13" font-weight="${bold}" fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke" opacity="0.9">${escapeXml(name)}</text>`;
    })
    .join('\n');
}

function legendSvg(points: MapPoint[], l: Layout, interactive: boolean): string {
  const out: string[] = [];
  let y = l.plot.y + 6;
  const x = l.legendX;
  out.push(`<text x="${x}" y="${y}" font-size="14" font-weight="bold" fill="#222">character</text>`);
  out.push(`<text x="${l.width - 24}" y="${y}" font-size="12" fill="#555" text-anchor="end">taught / predicted</text>`);
  y += 22;
  const room = Math.floor((l.height - y - 110) / 21);
  const shown = l.order.length > room ? l.order.slice(0, room - 1) : l.order;
  for (const c of shown) {
    const colour = l.colours.get(c.name)!;
    const hl = l.highlight.has(c.name);
    const attr = interactive ? ` class="legend" data-name="${escapeXml(c.name)}"` : '';
    out.push(
      `<g${attr}><circle cx="${x + 7}" cy="${y - 5}" r="6" fill="${colour}"${hl ? ' stroke="#111" stroke-width="2"' : ''}/>` +
        `<text x="${x + 20}" y="${y}" font-size="13" font-weight="${hl ? 'bold' : 'normal'}" fill="#111">${escapeXml(c.name)}${hl ? '  (new)' : ''}</text>` +
        `<text x="${l.width - 24}" y="${y}" font-size="12" fill="#444" text-anchor="end">${c.human} / ${c.predicted}</text></g>`,
    );
    y += 21;
  }
  if (shown.length < l.order.length) {
    out.push(
      `<text x="${x + 20}" y="${y}" font-size="12" fill="#555">… and ${l.order.length - shown.length} more characters</text>`,
    );
    y += 21;
  }
  y += 10;
  const unknown = points.filter((p) => p.kind === 'unknown').length;
  out.push(`<line x1="${x}" x2="${l.width - 24}" y1="${y - 14}" y2="${y - 14}" stroke="#ddd"/>`);
  out.push(
    `<circle cx="${x + 7}" cy="${y - 5}" r="5" fill="#555"/><text x="${x + 20}" y="${y}" font-size="12" fill="#333">taught / corrected / confirmed by a person</text>`,
  );
  y += 19;
  out.push(
    `<circle cx="${x + 7}" cy="${y - 5}" r="4" fill="#555" fill-opacity="0.3" stroke="#555" stroke-opacity="0.6"/><text x="${x + 20}" y="${y}" font-size="12" fill="#333">predicted by the bot (faded)</text>`,
  );
  y += 19;
  out.push(
    `<circle cx="${x + 7}" cy="${y - 5}" r="3.6" fill="${UNKNOWN_COLOUR}" fill-opacity="0.8"/><text x="${x + 20}" y="${y}" font-size="12" fill="#333">unknown (${unknown})</text>`,
  );
  if (l.highlight.size) {
    y += 19;
    out.push(
      `<circle cx="${x + 7}" cy="${y - 5}" r="5" fill="#fff" stroke="#111" stroke-width="1.6"/><text x="${x + 20}" y="${y}" font-size="12" font-weight="bold" fill="#333">ringed, bold: newly taught</text>`,
    );
  }
  return out.join('\n');
}

function body(points: MapPoint[], l: Layout, options: MapRenderOptions, interactive: boolean): string {
  // Draw unknowns, then predictions, then taught faces, highlighted characters last (on top).
  const rank = (p: MapPoint) =>
    (p.kind === 'unknown' ? 0 : p.kind === 'predicted' ? 1 : 2) + (p.character && l.highlight.has(p.character) ? 3 : 0);
  const order = points.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p));
  return [
    `<rect width="${l.width}" height="${l.height}" fill="#ffffff"/>`,
    `<text x="24" y="36" font-size="22" font-weight="bold" fill="#111">${escapeXml(options.title)}</text>`,
    options.subtitle ? `<text x="24" y="62" font-size="14" fill="#444">${escapeXml(options.subtitle)}</text>` : '',
    `<rect x="${l.plot.x}" y="${l.plot.y}" width="${l.plot.w}" height="${l.plot.h}" fill="#fafafa" stroke="#e2e2e2"/>`,
    `<g id="points">${order.map(({ p, i }) => pointSvg(p, l, interactive ? i : undefined)).join('')}</g>`,
    `<g id="names" pointer-events="none">${clusterLabels(points, l)}</g>`,
    legendSvg(points, l, interactive),
  ].join('\n');
}

export function renderMapSvg(points: MapPoint[], options: MapRenderOptions): string {
  const l = layout(points, options);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" font-family="DejaVu Sans, sans-serif">\n${body(points, l, options, false)}\n</svg>`;
}

export function renderMapHtml(points: MapPoint[], options: MapRenderOptions): string {
  const l = layout(points, options);
  const info = points.map((p) => ({ c: p.character, k: p.kind, f: p.faceId, t: p.thumb, n: p.note }));
  // Embedded JSON inside <script>: keep "</script>" and friends out.
  const json = JSON.stringify(info)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, ' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(options.title)}</title>
<style>
body{margin:0;font-family:"DejaVu Sans",sans-serif;background:#fff}
svg{display:block;max-width:100%;height:auto}
#tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #bbb;border-radius:6px;padding:6px 8px;font-size:13px;box-shadow:0 2px 8px rgba(0,0,0,.15);display:none;max-width:260px}
#tip img{display:block;width:96px;height:96px;object-fit:cover;margin-bottom:4px;border-radius:4px}
.legend{cursor:pointer}
circle[data-i]:hover{stroke:#000;stroke-width:2}
.dim circle[data-i]{opacity:.12}.dim circle[data-i].on{opacity:1}
</style></head><body>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${l.width} ${l.height}" width="${l.width}" height="${l.height}" font-family="DejaVu Sans, sans-serif">
${body(points, l, options, true)}
</svg>
<div id="tip"></div>
<script>
const P=${json};
const tip=document.getElementById('tip');
const esc=s=>String(s).replace(/[<>&"]/g,c=>({'<':'&lt;','>':'&gt;','&':'&amp;','"':'&quot;'})[c]);
document.querySelectorAll('circle[data-i]').forEach(el=>{
  const p=P[+el.dataset.i];
  el.addEventListener('mousemove',e=>{
    const kind=p.k==='human'?'taught':p.k==='predicted'?'predicted':'unknown';
    tip.innerHTML=(p.t?'<img src="'+p.t+'">':'')+'<b>'+esc(p.c??'unknown')+'</b><br>'+kind+' · face #'+p.f+(p.n?'<br><span style="color:#666">'+esc(p.n)+'</span>':'');
    tip.style.display='block';tip.style.left=(e.clientX+14)+'px';tip.style.top=(e.clientY+14)+'px';
  });
  el.addEventListener('mouseleave',()=>tip.style.display='none');
});
const points=document.getElementById('points');
document.querySelectorAll('.legend').forEach(g=>{
  g.addEventListener('mouseenter',()=>{points.classList.add('dim');points.querySelectorAll('circle[data-i]').forEach(el=>el.classList.toggle('on',P[+el.dataset.i].c===g.dataset.name));});
  g.addEventListener('mouseleave',()=>points.classList.remove('dim'));
});
</script>
</body></html>
`;
}
