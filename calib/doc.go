// Package calib collects the activation statistics that post-training
// quantization calibrates its scales from, by running calibration text through
// a model with observers attached (quamba.md §2, §3.4, §4.3, §4.5).
//
// A [Plan] says which statistic to collect at which (layer, point):
// per-tensor min-max, per-tensor percentile (the exact α-quantile of |x| per
// sample, smoothed over samples by the EMA m ← m + 0.01·(q − m)), per-channel
// mean |x| (max over samples), grouped max |x|, log-binned histograms of |x|,
// and the max |x| of the final SSM state per state group. [LoadData] reads and
// samples the calibration text, [Calibrate] runs it on GOMAXPROCS workers and
// merges the per-sample statistics in sample order, so that the resulting
// [Stats] do not depend on the number of workers.
//
// The model is reached through the small [Model] and [Session] interfaces:
// [FP32] adapts the float32 engine, and a quantization simulation can be
// calibrated the same way.
package calib
