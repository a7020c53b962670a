/**
 * Just enough protobuf to append nodes and outputs to an ONNX graph. Protobuf merges repeated
 * fields appended at the end of a message, so an edit never has to understand the whole model:
 * only the top-level ModelProto is walked to find and re-length its `graph` field (7).
 */

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 1;
  let p = pos;
  for (;;) {
    const byte = buf[p++];
    if (byte === undefined) throw new Error('truncated protobuf varint');
    result += (byte & 0x7f) * shift;
    if (byte < 0x80) return [result, p];
    shift *= 128;
  }
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

function tag(field: number, wire: number): number[] {
  return encodeVarint(field * 8 + wire);
}

export function lenField(field: number, payload: Uint8Array | number[]): Uint8Array {
  const body = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  return concat([Uint8Array.from([...tag(field, WIRE_LEN), ...encodeVarint(body.length)]), body]);
}

export function stringField(field: number, text: string): Uint8Array {
  return lenField(field, new TextEncoder().encode(text));
}

export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...tag(field, WIRE_VARINT), ...encodeVarint(value)]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** NodeProto: input=1, output=2, name=3, op_type=4. */
export function encodeNode(opType: string, inputs: string[], outputs: string[], name: string): Uint8Array {
  return concat([
    ...inputs.map((i) => stringField(1, i)),
    ...outputs.map((o) => stringField(2, o)),
    stringField(3, name),
    stringField(4, opType),
  ]);
}

/** ValueInfoProto for a float tensor of shape [batch, dim]. */
export function encodeFloatOutput(name: string, batchParam: string, dim: number): Uint8Array {
  const shape = concat([
    lenField(1, stringField(2, batchParam)), // Dimension.dim_param
    lenField(1, varintField(1, dim)), // Dimension.dim_value
  ]);
  const tensorType = concat([varintField(1, 1 /* FLOAT */), lenField(2, shape)]);
  return concat([stringField(1, name), lenField(2, lenField(1, tensorType))]);
}

/** Appends nodes (GraphProto field 1) and outputs (field 12) to the model's graph. */
export function appendToGraph(model: Uint8Array, nodes: Uint8Array[], outputs: Uint8Array[]): Uint8Array {
  const kept: Uint8Array[] = [];
  let graph: Uint8Array | undefined;
  let pos = 0;
  while (pos < model.length) {
    const start = pos;
    const [key, afterKey] = readVarint(model, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let end: number;
    if (wire === WIRE_VARINT) {
      end = readVarint(model, afterKey)[1];
    } else if (wire === WIRE_LEN) {
      const [len, afterLen] = readVarint(model, afterKey);
      end = afterLen + len;
      if (field === 7) graph = model.subarray(afterLen, end);
    } else if (wire === 1) {
      end = afterKey + 8;
    } else if (wire === 5) {
      end = afterKey + 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
    if (end > model.length) throw new Error('truncated ONNX model');
    if (field !== 7) kept.push(model.subarray(start, end));
    pos = end;
  }
  if (!graph) throw new Error('ONNX model has no graph');
  const newGraph = concat([graph, ...nodes.map((n) => lenField(1, n)), ...outputs.map((o) => lenField(12, o))]);
  return concat([...kept, lenField(7, newGraph)]);
}
