import { BatchDimensionError, DynamicShapeError, MalformedModelError } from '../errors/onnx.js';
import { checkTensorSize } from '../ir/tensor.js';
import { onnx } from './proto.js';

/**
 * How ONNX treats a tensor's values: `float` (FLOAT, DOUBLE and the half types), `int` (every
 * integer type: division truncates, casts to it truncate) or `bool` (0/1).
 */
export type ElemKind = 'float' | 'int' | 'bool';

/** The element kind of an ONNX data type number (TensorProto.DataType, Cast's `to`). */
export function elemKind(dataType: number | null | undefined): ElemKind {
  if (dataType === 9) return 'bool';
  return dataType == null || dataType === 0 || [1, 10, 11, 16].includes(dataType) ? 'float' : 'int';
}

/** A dense tensor read from an initializer or a Constant node, its values as float64. */
export type Tensor = { dims: number[]; data: Float64Array; kind?: ElemKind; /** TensorProto.DataType */ dataType?: number };

export type AttributeValue = number | number[] | string | string[] | Tensor;

export type OnnxNode = {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
};

/**
 * A graph input or output: its shape, element kind and TensorProto.DataType. An input's shape is
 * fixed; an output's may hold -1 for a symbolic dimension other than the batch, which import
 * resolves by evaluating the graph (static shape inference).
 */
export type OnnxValueInfo = { name: string; shape: number[]; kind: ElemKind; /** TensorProto.DataType */ dataType?: number };

/** The parts of an ONNX model the compiler uses, with every shape fixed. */
export type OnnxGraph = {
  opset: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: Map<string, Tensor>;
  nodes: OnnxNode[];
};

const DataType = onnx.TensorProto.DataType;

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/**
 * Reads a TensorProto into float64 values (FLOAT, DOUBLE, INT32, INT64, UINT32, UINT64, BOOL and
 * the 8- and 16-bit integers are accepted). Throws {@link TensorTooLargeError} from the declared dims,
 * before decoding any value.
 */
export function readTensor(t: InstanceType<typeof onnx.TensorProto>): Tensor {
  const dims = (t.dims ?? []).map(toNumber);
  checkTensorSize(t.name ?? '?', dims);
  const size = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  let data: Float64Array;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  switch (t.dataType) {
    case DataType.FLOAT:
      data = view ? Float64Array.from({ length: raw!.length / 4 }, (_, i) => view.getFloat32(i * 4, true)) : Float64Array.from(t.floatData ?? []);
      break;
    case DataType.DOUBLE:
      data = view ? Float64Array.from({ length: raw!.length / 8 }, (_, i) => view.getFloat64(i * 8, true)) : Float64Array.from(t.doubleData ?? []);
      break;
    case DataType.INT32:
      data = view ? Float64Array.from({ length: raw!.length / 4 }, (_, i) => view.getInt32(i * 4, true)) : Float64Array.from(t.int32Data ?? []);
      break;
    case DataType.INT64:
      data = view
        ? Float64Array.from({ length: raw!.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)))
        : Float64Array.from((t.int64Data ?? []).map(toNumber));
      break;
    case DataType.UINT32: case DataType.UINT64: {
      // Both are stored in uint64Data, or packed in rawData at their width.
      const wide = t.dataType === DataType.UINT64;
      data = view
        ? Float64Array.from({ length: raw!.length / (wide ? 8 : 4) }, (_, i) => (wide ? Number(view.getBigUint64(i * 8, true)) : view.getUint32(i * 4, true)))
        : Float64Array.from((t.uint64Data ?? []).map(toNumber));
      break;
    }
    case DataType.BOOL: case DataType.UINT8: case DataType.INT8: case DataType.UINT16: case DataType.INT16: {
      // Small integer types are stored in int32Data, or packed in rawData at their width.
      const width = t.dataType === DataType.UINT16 || t.dataType === DataType.INT16 ? 2 : 1;
      const signed = t.dataType === DataType.INT8 || t.dataType === DataType.INT16;
      const at = (i: number) => (width === 1 ? (signed ? view!.getInt8(i) : view!.getUint8(i)) : signed ? view!.getInt16(i * 2, true) : view!.getUint16(i * 2, true));
      data = view ? Float64Array.from({ length: raw!.length / width }, (_, i) => at(i)) : Float64Array.from(t.int32Data ?? []);
      break;
    }
    default:
      throw new MalformedModelError({ reason: `tensor "${t.name}" has unsupported data type ${t.dataType}` });
  }
  if (data.length !== size) {
    throw new MalformedModelError({ reason: `tensor "${t.name}" has ${data.length} values for shape [${dims}]` });
  }
  return { dims, data, kind: elemKind(t.dataType), dataType: t.dataType ?? undefined };
}

function readAttribute(a: InstanceType<typeof onnx.AttributeProto>): AttributeValue {
  switch (a.type) {
    case onnx.AttributeProto.AttributeType.FLOAT: return a.f ?? 0;
    case onnx.AttributeProto.AttributeType.INT: return toNumber(a.i);
    case onnx.AttributeProto.AttributeType.INTS: return (a.ints ?? []).map(toNumber);
    case onnx.AttributeProto.AttributeType.FLOATS: return [...(a.floats ?? [])];
    case onnx.AttributeProto.AttributeType.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case onnx.AttributeProto.AttributeType.STRINGS: return (a.strings ?? []).map((b) => new TextDecoder().decode(b));
    case onnx.AttributeProto.AttributeType.TENSOR: return readTensor(a.t as InstanceType<typeof onnx.TensorProto>);
    default: return toNumber(a.i);
  }
}

function readValueInfo(v: InstanceType<typeof onnx.ValueInfoProto>, batch: number, isInput: boolean): OnnxValueInfo {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  const shape = dims.map((d, i) => {
    const n = d.dimValue != null ? toNumber(d.dimValue) : 0;
    if (n > 0) {
      if (i === 0 && isInput && batch > 1 && n !== batch) throw new BatchDimensionError({ tensor: v.name ?? '?', size: n, batch });
      return n;
    }
    // A symbolic leading dimension is the batch: one proof covers `batch` inferences.
    if (i === 0) return batch;
    // An output's other symbolic dimensions ('unk__0', 'N') follow from the fixed inputs.
    if (!isInput) return -1;
    throw new DynamicShapeError({ tensor: v.name ?? '?', dim: i });
  });
  if (!shape.includes(-1)) checkTensorSize(v.name ?? '?', shape);
  return { name: v.name ?? '', shape, kind: elemKind(v.type?.tensorType?.elemType), dataType: v.type?.tensorType?.elemType ?? undefined };
}

/**
 * Parses an ONNX file. Throws {@link MalformedModelError} for anything that is not a
 * model with a graph and at least one input (several inputs are read as one request input:
 * each flattened, concatenated in their declared order), {@link DynamicShapeError} for an input with a non-batch
 * symbolic dimension, and {@link TensorTooLargeError} for a declared input, output,
 * initializer or constant above `MAX_TENSOR_ELEMENTS` (before allocating it). A symbolic leading dimension becomes `batch` (default 1).
 *
 * @example
 * const graph = loadOnnx(fs.readFileSync('model.onnx'))
 */
export function loadOnnx(bytes: Uint8Array, options: { batch?: number } = {}): OnnxGraph {
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new MalformedModelError({ reason: 'not a protobuf-encoded ModelProto', cause });
  }
  const graph = model.graph;
  if (!graph || !graph.node || graph.node.length === 0) {
    throw new MalformedModelError({ reason: 'the model has no graph or no nodes' });
  }
  const opset = toNumber(model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  const initializers = new Map<string, Tensor>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', readTensor(t as InstanceType<typeof onnx.TensorProto>));
  const inputs = (graph.input ?? [])
    .filter((i) => !initializers.has(i.name ?? ''))
    .map((v) => readValueInfo(v as InstanceType<typeof onnx.ValueInfoProto>, batch, true));
  if (inputs.length === 0) {
    throw new MalformedModelError({ reason: 'the graph has no input (every initializer is a weight), so its output cannot depend on a request' });
  }
  const outputs = (graph.output ?? []).map((v) => readValueInfo(v as InstanceType<typeof onnx.ValueInfoProto>, batch, false));
  const nodes: OnnxNode[] = graph.node.map((n, i) => ({
    name: n.name || `${n.opType}_${i}`,
    opType: n.opType ?? '',
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', readAttribute(a as InstanceType<typeof onnx.AttributeProto>)])),
  }));
  return { opset, inputs, outputs, initializers, nodes };
}
