// Package model is the exact float32 engine for Mamba1 and Mamba2 language
// models, following the mamba_ssm reference semantics (see
// shared/reference/quamba.md §1).
//
// A Model holds the weights in the official state-spaces layout (row-major
// []float32, shapes in the field comments). A State holds the decode state of
// one sequence (per layer: the last d_conv pre-conv inputs and the SSM state)
// plus scratch buffers. Model.Forward runs a whole prompt in sequence mode,
// with batched matrix products over all its tokens; Model.Step runs one token
// in decode mode with matrix-vector products. Both leave the State ready to
// continue, and a prefill followed by steps equals one long prefill.
//
// An Observer set on a State sees every activation that quantization
// calibrates (see Point). Preset and RandomTensors build models of the
// official sizes with the standard Mamba initialisation, for speed and memory
// measurements.
package model
