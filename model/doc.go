// Package model is the exact float32 engine for Mamba1 and Mamba2 language
// models, following the mamba_ssm reference semantics (quamba.md §1): RMSNorm
// blocks with a float32 residual, the depthwise causal conv + SiLU (on the
// SIMD conv kernel kernels.CausalConv1dSiLUF32, so d_conv is 1 to 4), the
// selective scan as a recurrence (on the SIMD scan kernels kernels.ScanM1F32
// and kernels.ScanM2F32), Mamba2's gated RMSNorm per group of
// d_inner/ngroups channels.
//
// Weights holds a model's parameters in the official state-spaces layout
// (row-major []float32, shapes in the field comments): a plain, mutable
// value that the quantizer's transforms rewrite, itself a TensorSource. A
// Model is an engine built from Weights by Build: the Mamba1 and Mamba2
// blocks are written once, and what each stage runs is plugged in through
// Stages — every projection (a Linear: the FP32 engine packs float32
// panels, the int8 runtime its own kernels) and a Hook that may rewrite each
// activation in place before the block consumes it (the quantization
// simulation fake-quantizes there). Load reads a model directory through
// package formats and New takes any TensorSource; both build the FP32
// engine. A State holds the
// decode state of one sequence (per layer the last d_conv pre-conv inputs and
// the SSM state) plus scratch buffers:
//
//	m, err := model.Load(dir)
//	s := m.NewState()
//	logits := make([]float32, m.Config.PaddedVocab)
//	err = m.Forward(s, prompt, logits) // sequence mode: batched products over the prompt
//	err = m.Step(s, next, logits)      // decode mode: one token, matrix-vector products
//
// Forward and Step compute every matrix product as full-length dot products
// in the same order, so a prefill followed by steps gives the same logits as
// one long prefill. Both split their work over GOMAXPROCS goroutines, and
// Step allocates nothing.
//
// Perplexity implements the windowed evaluation protocol and Greedy the
// argmax continuation on any LanguageModel (the FP32 engine, the
// simulation, the runtime). An Observer set on a State sees every activation that
// quantization calibrates (see Point). Preset and RandomTensors build models
// of the official sizes with the standard Mamba initialisation, for speed and
// memory measurements.
package model
