/** Just enough multipart/form-data parsing for what discord.js sends: `payload_json` and `files[n]`. */

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = contentType?.match(/boundary=(?:"([^"]+)"|([^;]+))/i);
  return match ? (match[1] ?? match[2]) : undefined;
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    // "--" after the delimiter marks the end of the body.
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next === -1) break;
    // Each part: CRLF, headers, CRLF CRLF, data, CRLF, then the next delimiter.
    const part = body.subarray(afterDelimiter + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headerText = part.subarray(0, headerEnd).toString('utf8');
    const data = Buffer.from(part.subarray(headerEnd + 4));
    const disposition = headerText.match(/content-disposition:[^\r\n]*/i)?.[0] ?? '';
    const name = disposition.match(/\bname="([^"]*)"/i)?.[1] ?? '';
    const filename = disposition.match(/\bfilename="([^"]*)"/i)?.[1];
    const contentType = headerText.match(/content-type:\s*([^\r\n]+)/i)?.[1]?.trim();
    parts.push({ name, filename, contentType, data });
    start = next;
  }
  return parts;
}
