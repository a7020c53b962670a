import { readFile, writeFile } from 'node:fs/promises';
import { getModel } from '../models/manifest.ts';
import { appendToGraph, encodeFloatOutput, encodeNode } from './onnx-proto.ts';

/**
 * The ImageNet MobileNetV2 INT8 file only outputs logits. Its 1280-d pooled feature (the quantised
 * tensor entering the classifier) names characters far better, so we add a DequantizeLinear node
 * and expose it as a graph output. Which tensor and which scale come from the manifest entry.
 */
export async function exposePooledFeatures(sourcePaths: string[], outPath: string): Promise<void> {
  const target = getModel('mobilenetv2_pool').output as {
    name: string;
    dim: number;
    source: string;
    scale: string;
    zeroPoint: string;
  };
  const model = new Uint8Array(await readFile(sourcePaths[0]));
  const node = encodeNode(
    'DequantizeLinear',
    [target.source, target.scale, target.zeroPoint],
    [target.name],
    'idoltag_expose_pooled',
  );
  const output = encodeFloatOutput(target.name, 'batch_size', target.dim);
  await writeFile(outPath, appendToGraph(model, [node], [output]));
}
