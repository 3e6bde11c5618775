import { onnx } from './proto.js';

/** One dense layer of a feed-forward network: `weights[out][in]`, `bias[out]`. */
export type DenseSpec = { weights: number[][]; bias: number[]; relu: boolean };

function floatTensor(name: string, dims: number[], values: number[]) {
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
}

function valueInfo(name: string, shape: (number | string)[], elemType: number = onnx.TensorProto.DataType.FLOAT) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

/**
 * Writes a feed-forward network as a standard ONNX model (opset 13): one Gemm per layer
 * with `transB = 1` (the layout PyTorch's exporter uses), a Relu after hidden layers.
 * The batch dimension is symbolic, as exporters write it.
 *
 * @example
 * fs.writeFileSync('mlp.onnx', buildMlpOnnx({ inputSize: 4, layers: [{ weights: [[1, 2, 3, 4]], bias: [0], relu: false }] }))
 */
export function buildMlpOnnx({ inputSize, layers, producer = 'verity' }: { inputSize: number; layers: DenseSpec[]; producer?: string }): Uint8Array {
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializer: InstanceType<typeof onnx.TensorProto>[] = [];
  let current = 'input';
  layers.forEach((layer, i) => {
    const out = layer.weights.length;
    initializer.push(floatTensor(`fc${i}.weight`, [out, layer.weights[0]!.length], layer.weights.flat()));
    initializer.push(floatTensor(`fc${i}.bias`, [out], layer.bias));
    const gemmOut = i === layers.length - 1 && !layer.relu ? 'output' : `fc${i}`;
    nodes.push(onnx.NodeProto.create({
      name: `Gemm_${i}`, opType: 'Gemm', input: [current, `fc${i}.weight`, `fc${i}.bias`], output: [gemmOut],
      attribute: [
        { name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
        { name: 'beta', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
        { name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
      ],
    }));
    current = gemmOut;
    if (layer.relu) {
      const reluOut = i === layers.length - 1 ? 'output' : `relu${i}`;
      nodes.push(onnx.NodeProto.create({ name: `Relu_${i}`, opType: 'Relu', input: [current], output: [reluOut] }));
      current = reluOut;
    }
  });
  const outputSize = layers[layers.length - 1]!.weights.length;
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: producer,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mlp',
      node: nodes,
      initializer,
      input: [valueInfo('input', ['batch', inputSize])],
      output: [valueInfo('output', ['batch', outputSize])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** An attribute value for {@link buildOnnx}: numbers are INT when integral unless listed in `floats`. */
export type AttrSpec = number | number[] | string | string[] | { float: number } | { floats: number[] } | { tensor: { dims: number[]; values: number[]; int64?: boolean } };
export type NodeSpec = { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Record<string, AttrSpec>; domain?: string };
export type GraphSpec = {
  /** `elemType` is an ONNX TensorProto.DataType (FLOAT by default; INT64 = 7, INT32 = 6, BOOL = 9) */
  input: { name: string; shape: (number | string)[]; elemType?: number };
  output: { name: string; shape?: (number | string)[]; int64?: boolean; elemType?: number };
  nodes: NodeSpec[];
  /** constants: float by default, int64 for shapes, axes and indices, or another ONNX `elemType` (UINT8 = 2, INT32 = 6, BOOL = 9, UINT32 = 12, UINT64 = 13) */
  initializers?: Record<string, { dims: number[]; values: number[]; int64?: boolean; elemType?: number }>;
  opset?: number;
};

function attribute(name: string, v: AttrSpec) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (Array.isArray(v)) return v.some((x) => typeof x === 'string') ? { name, type: T.STRINGS, strings: (v as unknown as string[]).map((x) => new TextEncoder().encode(x)) } : { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: tensorProto(name, v.tensor) };
}

function tensorProto(name: string, t: { dims: number[]; values: number[]; int64?: boolean; elemType?: number }) {
  // UINT32 and UINT64 are stored in uint64Data, the narrower integer types (and BOOL) in int32Data.
  if (t.elemType === onnx.TensorProto.DataType.UINT32 || t.elemType === onnx.TensorProto.DataType.UINT64) return onnx.TensorProto.create({ name, dims: t.dims, dataType: t.elemType, uint64Data: t.values });
  if (t.elemType !== undefined) return onnx.TensorProto.create({ name, dims: t.dims, dataType: t.elemType, int32Data: t.values });
  return t.int64
    ? onnx.TensorProto.create({ name, dims: t.dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: t.values })
    : floatTensor(name, t.dims, t.values);
}

/**
 * Writes any small ONNX graph (one float input, one output): the golden operator
 * fixtures and tests use it where an exporter would.
 *
 * @example
 * buildOnnx({ input: { name: 'x', shape: [1, 4] }, output: { name: 'y' }, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] })
 */
export function buildOnnx(spec: GraphSpec): Uint8Array {
  const outType = spec.output.elemType ?? (spec.output.int64 ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'verity',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }, ...(spec.nodes.some((n) => n.domain === 'ai.onnx.ml') ? [{ domain: 'ai.onnx.ml', version: 3 }] : [])],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => onnx.NodeProto.create({
        name: n.name ?? `${n.op}_${i}`, opType: n.op, domain: n.domain ?? '', input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: Object.entries(spec.initializers ?? {}).map(([k, t]) => tensorProto(k, t)),
      input: [valueInfo(spec.input.name, spec.input.shape, spec.input.elemType)],
      output: [spec.output.shape ? valueInfo(spec.output.name, spec.output.shape, outType) : onnx.ValueInfoProto.create({ name: spec.output.name, type: { tensorType: { elemType: outType } } })],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
