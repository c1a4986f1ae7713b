/**
 * A minimal ONNX model writer for benches that need a synthetic graph of a given shape (e.g.
 * bench/memory-bound's MatMul chains) without Python. It encodes only what those graphs use:
 * nodes with int/ints attributes (in any operator domain), float32/int64 initializers as raw data, and float32/int64 graph
 * inputs/outputs with fixed or named (dynamic) dims. Field numbers are those of onnx/onnx.proto.
 * (No npm package writes ONNX protobuf without the whole onnx schema toolchain; this is ~100 lines.)
 */

type Bytes = Buffer;

function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

const key = (field: number, wire: 0 | 2): Bytes => varint((field << 3) | wire);
const int = (field: number, value: number | bigint): Bytes => Buffer.concat([key(field, 0), varint(value)]);
const bytes = (field: number, payload: Bytes): Bytes =>
  Buffer.concat([key(field, 2), varint(payload.length), payload]);
const str = (field: number, value: string): Bytes => bytes(field, Buffer.from(value, 'utf8'));
const msg = (field: number, parts: readonly Bytes[]): Bytes => bytes(field, Buffer.concat(parts));

export const FLOAT = 1;
export const INT64 = 7;

export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly ints?: Readonly<Record<string, number | readonly number[]>>;
  /** Operator domain, e.g. 'com.microsoft' for ONNX Runtime's contrib ops; default: ONNX's own. */
  readonly domain?: string;
}

export interface GraphIO {
  readonly name: string;
  readonly type: typeof FLOAT | typeof INT64;
  /** A number is a fixed dim, a string a dynamic one (its symbolic name). */
  readonly dims: readonly (number | string)[];
}

export interface GraphSpec {
  readonly name: string;
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly Initializer[];
  readonly inputs: readonly GraphIO[];
  readonly outputs: readonly GraphIO[];
  readonly opset?: number;
  /** Further operator sets, e.g. { 'com.microsoft': 1 } for nodes of that domain. */
  readonly domains?: Readonly<Record<string, number>>;
}

function attribute(name: string, value: number | readonly number[]): Bytes {
  // AttributeProto: name 1, i 3, ints 8, type 20 (INT 2, INTS 7).
  if (typeof value === 'number') return Buffer.concat([str(1, name), int(3, value), int(20, 2)]);
  return Buffer.concat([str(1, name), ...value.map((v) => int(8, v)), int(20, 7)]);
}

function node(n: GraphNode, index: number): Bytes {
  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
  return Buffer.concat([
    ...n.inputs.map((i) => str(1, i)),
    ...n.outputs.map((o) => str(2, o)),
    str(3, `${n.op}_${index}`),
    str(4, n.op),
    ...Object.entries(n.ints ?? {}).map(([k, v]) => msg(5, [attribute(k, v)])),
    ...(n.domain ? [str(7, n.domain)] : []),
  ]);
}

function tensor(t: Initializer): Bytes {
  // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian, as typed arrays are here).
  const type = t.data instanceof Float32Array ? FLOAT : INT64;
  const raw = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return Buffer.concat([...t.dims.map((d) => int(1, d)), int(2, type), str(8, t.name), bytes(9, raw)]);
}

function valueInfo(v: GraphIO): Bytes {
  // ValueInfoProto{name 1, type 2: TypeProto{tensor_type 1: {elem_type 1, shape 2: {dim 1: {value 1 | param 2}}}}}
  const dims = v.dims.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
  return Buffer.concat([str(1, v.name), msg(2, [msg(1, [int(1, v.type), msg(2, dims)])])]);
}

/** Serializes a graph as an ONNX ModelProto (IR version 8, default-domain opset 17 unless given). */
export function encodeModel(spec: GraphSpec): Buffer {
  const graph = Buffer.concat([
    ...spec.nodes.map((n, i) => msg(1, [node(n, i)])),
    str(2, spec.name),
    ...spec.initializers.map((t) => msg(5, [tensor(t)])),
    ...spec.inputs.map((v) => msg(11, [valueInfo(v)])),
    ...spec.outputs.map((v) => msg(12, [valueInfo(v)])),
  ]);
  // ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 {domain 1, version 2}.
  return Buffer.concat([
    int(1, 8),
    str(2, 'clipdex-bench'),
    bytes(7, graph),
    msg(8, [str(1, ''), int(2, spec.opset ?? 17)]),
    ...Object.entries(spec.domains ?? {}).map(([domain, version]) =>
      msg(8, [str(1, domain), int(2, version)]),
    ),
  ]);
}
