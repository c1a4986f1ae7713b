/** Turns a tower's [batch, dim] output into L2-normalised rows, checking the shape on the way. */
import { EngineError } from '../errors.ts';
import { l2Normalize } from '../vector/vector-math.ts';
import type { OutputTensor } from './onnx-session.ts';

export function normalisedRows(
  output: OutputTensor | undefined,
  batch: number,
  name: string,
  file: string,
): Float32Array[] {
  if (!output) throw new EngineError('INTERNAL', `${file}: output ${name} missing from the run result`);
  const [rows, dim] = output.dims;
  if (output.dims.length !== 2 || rows !== batch || dim === undefined) {
    throw new EngineError(
      'MODEL_LOAD_FAILED',
      `${file}: output ${name} has shape [${output.dims.join(', ')}], expected [${batch}, dim] (is this an embedding output?)`,
    );
  }
  const out: Float32Array[] = [];
  for (let r = 0; r < batch; r++) out.push(l2Normalize(output.data.subarray(r * dim, (r + 1) * dim)));
  return out;
}
