package calib

import (
	"fmt"
	"math"
)

// Histogram bins: |x| below 2^HistMinExp (zero included) falls in bin 0,
// |x| >= 2^HistMaxExp in bin HistBins-1; in between, each octave
// [2^e, 2^(e+1)) is split into HistSubBins bins of equal width, bin
// 1 + (e-HistMinExp)·HistSubBins + j holding [2^e·(1+j/32), 2^e·(1+(j+1)/32)).
// The bin of a float32 is read from its exponent and top 5 mantissa bits,
// so counting costs no logarithm and merging counts is exact.
const (
	HistMinExp  = -32
	HistMaxExp  = 32
	HistSubBins = 32
	HistBins    = (HistMaxExp-HistMinExp)*HistSubBins + 2
)

const (
	histShift = 23 - 5                        // keep the exponent and 5 mantissa bits
	histLow   = uint32(127+HistMinExp) << 23  // bits of 2^HistMinExp
	histHigh  = uint32(127+HistMaxExp) << 23  // bits of 2^HistMaxExp
	histBase  = uint32(127+HistMinExp)<<5 - 1 // (bits >> histShift) - histBase is the bin
	histLast  = HistBins - 1                  // overflow bin
)

// Histogram counts |x| of a target over all samples in the fixed bins
// described at HistBins.
type Histogram struct {
	Counts []uint64 // [HistBins]
	Max    float32  // the exact max |x|
}

// histBin returns the bin of the float32 bits b of |x|.
func histBin(b uint32) int {
	switch {
	case b < histLow:
		return 0
	case b >= histHigh:
		return histLast
	}
	return int(b>>histShift - histBase)
}

// HistBinBounds returns the range [lo, hi) of bin i; the underflow bin is
// [0, 2^HistMinExp), the overflow bin [2^HistMaxExp, +Inf).
func HistBinBounds(i int) (lo, hi float64) {
	switch {
	case i <= 0:
		return 0, math.Ldexp(1, HistMinExp)
	case i >= histLast:
		return math.Ldexp(1, HistMaxExp), math.Inf(1)
	}
	e, j := (i-1)/HistSubBins+HistMinExp, (i-1)%HistSubBins
	return math.Ldexp(1+float64(j)/HistSubBins, e), math.Ldexp(1+float64(j+1)/HistSubBins, e)
}

// Total is the number of values counted.
func (h *Histogram) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// bounds is HistBinBounds(i) capped at the exact max.
func (h *Histogram) bounds(i int) (lo, hi float64) {
	lo, hi = HistBinBounds(i)
	mx := float64(h.Max)
	hi = min(hi, mx)
	lo = min(lo, hi)
	return lo, hi
}

// Quantile estimates the alpha-quantile of |x| (alpha in [0, 1]): the order
// statistic at position alpha·(n-1) is located in its bin and interpolated
// linearly inside the bin (values assumed evenly spread within it, the top
// bin capped at the exact max); alpha = 1 gives the exact max. The estimate
// lies in the bin of the order statistic at floor(alpha·(n-1)): when the
// quantile falls inside one bin, the error is below that bin's width, 1/32 of
// its octave (for values in [2^HistMinExp, 2^HistMaxExp)).
func (h *Histogram) Quantile(alpha float64) (float64, error) {
	if !(alpha >= 0 && alpha <= 1) {
		return 0, fmt.Errorf("calib: histogram quantile alpha %v is outside [0, 1]", alpha)
	}
	n := h.Total()
	if n == 0 || len(h.Counts) != HistBins {
		return 0, fmt.Errorf("calib: histogram quantile of an empty histogram")
	}
	pos := alpha * float64(n-1)
	if pos >= float64(n-1) {
		return float64(h.Max), nil
	}
	var before float64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		cf := float64(c)
		if pos < before+cf || i == histLast {
			lo, hi := h.bounds(i)
			f := min(max((pos-before+0.5)/cf, 0), 1)
			return lo + (hi-lo)*f, nil
		}
		before += cf
	}
	return float64(h.Max), nil
}

// ClipMSE estimates the mean squared error over all counted values of
// quantizing x symmetrically with clip value clip and qmax levels per sign
// (step clip/qmax, |x| rounded to the nearest level and saturated at clip;
// the sign is exact, so |x| suffices). Values are assumed evenly spread within
// each bin (the top bin capped at the exact max), and the error is integrated
// exactly over each bin under that assumption, clipped and rounded parts
// alike, so the estimate can rank candidate clip values of a clipping search.
func (h *Histogram) ClipMSE(clip float64, qmax int) (float64, error) {
	if !(clip > 0) || math.IsInf(clip, 0) {
		return 0, fmt.Errorf("calib: clip value %v must be positive and finite", clip)
	}
	if qmax < 1 || qmax > 1<<30 {
		return 0, fmt.Errorf("calib: qmax %d is outside [1, 2^30]", qmax)
	}
	n := h.Total()
	if n == 0 || len(h.Counts) != HistBins {
		return 0, fmt.Errorf("calib: clip MSE of an empty histogram")
	}
	step := clip / float64(qmax)
	var sum float64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		lo, hi := h.bounds(i)
		var mean float64
		if hi > lo {
			mean = (errIntegral(hi, clip, step) - errIntegral(lo, clip, step)) / (hi - lo)
		} else {
			mean = pointErr(lo, clip, step)
		}
		sum += float64(c) * mean
	}
	return sum / float64(n), nil
}

// pointErr is the squared quantization error of v >= 0.
func pointErr(v, clip, step float64) float64 {
	if v >= clip {
		return (v - clip) * (v - clip)
	}
	e := v - step*math.Round(v/step)
	return e * e
}

// errIntegral is ∫_0^v pointErr(u) du for v >= 0, clip a multiple of step.
func errIntegral(v, clip, step float64) float64 {
	if v > clip {
		d := v - clip
		return errIntegral(clip, clip, step) + d*d*d/3
	}
	k := math.Floor(v / step)
	w := v - k*step
	s3 := step * step * step
	var g float64
	if w <= step/2 {
		g = w * w * w / 3
	} else {
		d := w - step
		g = s3/24 + (d*d*d+s3/8)/3
	}
	return k*s3/12 + g
}
