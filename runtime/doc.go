// Package runtime runs quantized artifacts (quant.WriteArtifact) on the
// integer kernels: the projections stay in the file's int8 / 4-bit panels,
// mapped, not copied, and run as W8A8, W4A8 or W4A16 products; the rest of
// the block is the same code as the FP32 engine and the compiler's
// simulation (model.Build), with these stages plugged in.
//
// One loaded Model serves many Sessions (one per sequence), which may run
// in parallel goroutines; Model.StepBatch steps several sessions as one
// GEMM per projection.
package runtime
