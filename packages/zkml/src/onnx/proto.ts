// onnx-proto is CommonJS; this gives the rest of the package one typed handle on it.
import onnxProto from 'onnx-proto';
export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';
