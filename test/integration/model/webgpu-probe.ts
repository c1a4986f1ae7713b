// Opens a WebGPU session in a child process and prints the outcome as one JSON line. The GPU
// stack (Dawn, inside onnxruntime-node) writes its adapter diagnostics straight to the native
// stderr when a machine has no usable adapter; run here, they land in the parent's captured
// buffer instead of the test run's output, which must stay free of warnings.
import { OnnxSession } from '../../../src/encoders/onnx-session.ts';
import { isEngineError } from '../../../src/errors.ts';

const graph = process.argv[2];
if (graph === undefined) throw new Error('usage: webgpu-probe.ts <graph.onnx>');
try {
  const session = await OnnxSession.open(graph, { device: 'webgpu', threads: 1 });
  console.log(JSON.stringify({ provider: session.provider }));
  await session.close();
} catch (error: unknown) {
  console.log(
    JSON.stringify({
      providerUnavailable: isEngineError(error, 'PROVIDER_UNAVAILABLE'),
      message: error instanceof Error ? error.message : String(error),
    }),
  );
}
