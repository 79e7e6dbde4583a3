// Package report is the last stage of quamba's data flow (formats -> model
// -> calib -> quant -> formats (artifact) -> runtime -> report): it measures
// quantized artifacts on the int8 runtime against the FP32 engine and writes
// what it found.
//
// Run quantizes each scheme (or takes given artifacts), opens every one with
// runtime.Open and measures, per scheme: perplexity on each evaluation text
// (model.Perplexity's windowed protocol), optionally LAMBADA last-word
// accuracy, artifact size and bits per weight, prefill and decode tokens/s,
// the SQNR of every quantized activation (the runtime's int8 activations
// against the FP32 engine over the artifact's own weights, on the same
// tokens), and for W4AX the per-layer choice. The result is a Report, whose
// JSON form (Schema) is versioned; WriteMarkdown and WriteHTML render it (the
// HTML page is self-contained, its figures inline SVG), and Check compares
// it with a perplexity limit.
//
// # JSON schema (Schema = "quamba-report/1")
//
//	schema        string   "quamba-report/1"; readers refuse other major versions
//	created       string   RFC 3339 UTC time of the run
//	command       string   the command line that produced the report
//	versions      object   tool (quamba), go, artifact_format, kernels (the active tier), os, arch, cpus
//	model         object   path, arch, d_model, n_layer, d_inner, vocab, params
//	calib         object   files, samples, seqlen, tokens (absent without calibration)
//	ctx           int      perplexity window
//	eval          [object] name, path, tokens: the evaluation texts
//	lambada       object   path, examples (absent without --lambada)
//	hadamard      object   layer, before, after: per-channel max |x| of the FP32
//	                       engine's out_proj input at that layer, before and after
//	                       the d_inner Hadamard (absent when d_inner has none)
//	schemes       [object] one per scheme, "fp" (the FP32 engine) first:
//	  name, recipe           scheme name, quant.Options.String()
//	  artifact, bytes        artifact path and size (FP: 4 bytes per parameter)
//	  bits_per_weight        8·bytes / parameters
//	  kinds                  projection stages by kernel (runtime.Info.Kinds)
//	  perplexity             [object] set, ppl, change (absolute vs FP), change_pct
//	  lambada                object correct, total, accuracy (fraction)
//	  prefill_tps, decode_tps tokens/s on the runtime (FP: the FP32 engine)
//	  sqnr                   object points [string], layers [int] (-1 = lm_head),
//	                         db [layer][point] (null where the activation is float)
//	  a8_layers              [int] layers with int8 activations (absent: all of an A8 scheme)
//	  w4ax                   quant.W4AXSearch (W4AX only)
//	  quantize_seconds       compile time (0 for given artifacts)
//	  verdict                one line
//
// Numbers are float64; a missing measurement is an absent key (or null).
package report
