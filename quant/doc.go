// Package quant is quamba's quantization compiler: the function-preserving
// transforms (Untie, FoldNorms, RotateResidual, FuseOutHadamard,
// SortAndCluster and ApplyReorder), the weight and activation quantizers,
// GPTQ, the recipes (Scheme, Options, Compile), the exact float32
// simulation of a compiled model through the shared block
// (Compiled.Simulate) and the GGUF artifact (WriteArtifact, ReadArtifact). The quantizers
// are symmetric everywhere (scale s = max(absmax, 1e-5)/qmax, scales clamped
// to at least 1e-6): int8 weights per tensor, per output slice or per row
// (W8Tensor, QuantizeW8); int8 activation fake-quantization bit-equal to the
// runtime kernels (FakeQuantI8, FakeQuantI8Blocks); 4-bit weights in groups
// of 128, 64 or 32 along K with a group and a row scale, optionally with a
// per-group clip-ratio search (W4Tensor, QuantizeW4); the calibration Hessian
// H = (2/n)·Σ x·xᵀ (Hessian); and GPTQ on top of either quantizer (GPTQW4,
// GPTQW8). Every storage format is documented on its type together with its
// reference quantizer and dequantizer.
//
// dt_proj (Mamba1, K = dt_rank = 48..160, not a multiple of 32 or 128) is
// kept the way Quamba2 keeps it: int8 per tensor for W4A8 (QuantizeW8 with
// PerTensor accepts any K) and float for W4A16 (nothing to quantize). A
// 4-bit dt_proj would be one short group (K < Group) or end in a ragged last
// group; QuantizeW4 supports both, but the recipes do not use them for
// dt_proj.
package quant
