import { onnx } from './proto.js';

/** One dense layer of a feed-forward network: `weights[out][in]`, `bias[out]`. */
export type DenseSpec = { weights: number[][]; bias: number[]; relu: boolean };

function floatTensor(name: string, dims: number[], values: number[]) {
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });
}

function valueInfo(name: string, shape: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
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
