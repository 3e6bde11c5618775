import { ShapeMismatchError, UnsupportedOperatorError } from '../errors/onnx.js';
import type { ConstValue, Value } from '../ir/value.js';
import type { Context } from '../lower/context.js';
import type { AttributeValue, OnnxNode, Tensor } from '../onnx/load.js';

/**
 * One ONNX operator (or a family with the same semantics). `run` gets the node's inputs
 * (undefined for an omitted optional input) and returns its outputs. It is written once
 * against {@link Context}: linear parts go through `ctx.linear` / `ctx.select` (no
 * constraints), nonlinear parts through the context's primitives, which own the integer
 * semantics, output scale and circuit template.
 */
export type OpDef = {
  types: readonly string[];
  run(ctx: Context, node: OnnxNode, inputs: readonly (Value | undefined)[], opset: number): Value[];
};

export function attr(node: OnnxNode, name: string, fallback: number): number;
export function attr(node: OnnxNode, name: string, fallback: string): string;
export function attr<T extends AttributeValue>(node: OnnxNode, name: string, fallback: T): T;
export function attr<T extends AttributeValue>(node: OnnxNode, name: string): T | undefined;
export function attr(node: OnnxNode, name: string, fallback?: AttributeValue): AttributeValue | undefined {
  return node.attributes[name] ?? fallback;
}

export const unsupported = (node: OnnxNode, reason: string) => new UnsupportedOperatorError({ node: node.name, opType: node.opType, reason });
export const shapeError = (node: OnnxNode, expected: number[], got: number[]) => new ShapeMismatchError({ node: node.name, expected, got });

/** Input `i`, which must be present. */
export function need(node: OnnxNode, inputs: readonly (Value | undefined)[], i: number): Value {
  const v = inputs[i];
  if (!v) throw unsupported(node, `input ${i} is missing`);
  return v;
}

/** Input `i` as a compile-time constant (weights, shapes, indices). */
export function staticInput(ctx: Context, node: OnnxNode, inputs: readonly (Value | undefined)[], i: number, what: string): ConstValue {
  const v = need(node, inputs, i);
  if (!ctx.isStatic(v)) throw unsupported(node, `its ${what} (input ${i}) must be a constant, but it is computed from the model input`);
  return v;
}

/** Integer list from an optional constant input, else from an attribute. */
export function intsFrom(ctx: Context, node: OnnxNode, inputs: readonly (Value | undefined)[], i: number, attrName: string): number[] | undefined {
  if (inputs[i]) return Array.from(staticInput(ctx, node, inputs, i, attrName).data);
  return attr<number[]>(node, attrName);
}

export const tensorValue = (t: Tensor): ConstValue => ({ kind: 'const', shape: [...t.dims], data: t.data });
