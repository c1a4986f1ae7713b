"""Weight-only int8 quantisation of an exported package: onnx/*_model.onnx → onnx/*_model_quantized.onnx.

Every large weight (Conv, Gemm/MatMul, embedding table) is stored as int8 with one fp32 scale per
output channel (symmetric, zero point 0) and turned back into fp32 by a DequantizeLinear node, so
the graph's inputs, outputs and arithmetic stay fp32 while the file shrinks about 4x. There is no
onnxruntime for Python here, so this uses only the `onnx` package; recall is checked afterwards
through the TypeScript engine (`clipdex eval --variant quantized`).

  /usr/bin/python3 -m clipmini.quantize ../fixtures/models/clipdex-mini
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def channel_axis(graph, name):
    """Output-channel axis of a weight from how it is consumed, or None to leave it alone."""
    for node in graph.node:
        if name not in node.input:
            continue
        idx = list(node.input).index(name)
        if node.op_type == "Conv" and idx == 1:
            return 0
        if node.op_type == "Gather" and idx == 0:
            return 0
        if node.op_type == "MatMul" and idx == 1:
            return 1
        if node.op_type == "Gemm" and idx == 1:
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            return 0 if trans_b else 1
        return None
    return None


def quantize_model(src, dst, min_size=4096):
    model = onnx.load(src)
    graph = model.graph
    new_inits, new_nodes, done = [], [], 0
    for init in list(graph.initializer):
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.ndim < 2 or w.size < min_size:
            new_inits.append(init)
            continue
        axis = channel_axis(graph, init.name)
        if axis is None:
            new_inits.append(init)
            continue
        reduce = tuple(i for i in range(w.ndim) if i != axis)
        scale = np.abs(w).max(axis=reduce) / 127.0
        scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        qn, sn, zn = init.name + "_int8", init.name + "_scale", init.name + "_zero"
        new_inits += [numpy_helper.from_array(q, qn), numpy_helper.from_array(scale, sn),
                      numpy_helper.from_array(np.zeros(scale.shape, np.int8), zn)]
        new_nodes.append(helper.make_node("DequantizeLinear", [qn, sn, zn], [init.name], axis=axis,
                                          name=init.name + "_dequantize"))
        done += 1
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    nodes = new_nodes + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return done


def main():
    pkg = sys.argv[1]
    for tower in ("text_model", "vision_model"):
        src = os.path.join(pkg, "onnx", f"{tower}.onnx")
        dst = os.path.join(pkg, "onnx", f"{tower}_quantized.onnx")
        n = quantize_model(src, dst)
        print(f"{tower}: {n} weights → int8, {os.path.getsize(src) / 1e6:.1f} MB → {os.path.getsize(dst) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
