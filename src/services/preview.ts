import sharp from 'sharp';
import type { Box } from '../core/types.ts';
import { escapeXml } from '../core/xml.ts';

const PALETTE = ['#ff4f9a', '#4fc3ff', '#ffd24f', '#7dff4f', '#c44fff', '#ff8a4f', '#4fffd2', '#ff4f4f'];

/** The screenshot, scaled to at most `maxWidth`, with a numbered box and a name on every face. */
export async function renderPreview(
  bytes: Buffer,
  faces: Array<{ box: Box; label: string | null; confidence: number }>,
  maxWidth = 960,
): Promise<Buffer> {
  const base = sharp(bytes, { pages: 1 }).rotate();
  const meta = await base.metadata();
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = (rotated ? meta.height : meta.width) ?? 1;
  const height = (rotated ? meta.width : meta.pageHeight ?? meta.height) ?? 1;
  const scale = Math.min(1, maxWidth / width);
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  const stroke = Math.max(2, Math.round(w / 320));
  const fontSize = Math.max(12, Math.round(w / 40));
  const shapes = faces.map((face, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const x = face.box.x * scale;
    const y = face.box.y * scale;
    const text = `${i + 1}. ${face.label ?? 'unknown'}${face.label ? ` ${Math.round(face.confidence * 100)}%` : ''}`;
    const labelY = y > fontSize + 6 ? y - 4 : y + face.box.h * scale + fontSize + 2;
    return `<rect x="${x}" y="${y}" width="${face.box.w * scale}" height="${face.box.h * scale}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>
<text x="${x}" y="${labelY}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" font-weight="bold" fill="${colour}" stroke="#000" stroke-width="${Math.max(1, fontSize / 8)}" paint-order="stroke">${escapeXml(text)}</text>`;
  });
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${shapes.join('\n')}</svg>`);
  return base
    .resize(w, h, { fit: 'fill' })
    .flatten({ background: '#ffffff' })
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}
