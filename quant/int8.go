package quant

import (
	"fmt"
	"math"
	"strconv"

	"github.com/quamba/quamba/kernels"
)

// Symmetric scales (quamba.md §2): s = max(absmax, MinAbsMax)/qmax, rounded
// to float32 and clamped to at least MinScale.
const (
	// MinAbsMax is the smallest absolute maximum a scale is computed from.
	MinAbsMax = 1e-5
	// MinScale is the smallest scale any quantizer produces.
	MinScale = 1e-6
	// QMaxI8 is the largest int8 weight code; codes lie in [-QMaxI8, QMaxI8].
	QMaxI8 = 127
)

// maxElems bounds rows·cols of any weight matrix (2³⁴ weights, 64 GiB of
// float32): larger shapes are rejected as absurd rather than allocated.
const maxElems = 1 << 34

// SymmetricScale returns the scale for values of absolute maximum absmax and
// largest code qmax: float32(max(absmax, 1e-5)/qmax), at least 1e-6.
// absmax must be finite and non-negative, qmax positive.
func SymmetricScale(absmax, qmax float64) float32 {
	s := float32(math.Max(absmax, MinAbsMax) / qmax)
	if s < MinScale {
		s = MinScale
	}
	return s
}

// Granularity says which weights share one int8 scale.
type Granularity int

const (
	// PerTensor: one scale for the whole matrix.
	PerTensor Granularity = iota
	// PerSlice: one scale per range of output rows (e.g. Mamba2's in_proj
	// slices z | x | B | C | dt).
	PerSlice
	// PerRow: one scale per output row.
	PerRow
)

// String names the granularity.
func (g Granularity) String() string {
	switch g {
	case PerTensor:
		return "per-tensor"
	case PerSlice:
		return "per-slice"
	case PerRow:
		return "per-row"
	}
	return fmt.Sprintf("Granularity(%d)", int(g))
}

// W8Tensor is an int8 weight matrix W [Rows, Cols] (nn.Linear layout: output
// rows, input columns K = Cols) with symmetric scales.
//
// Storage: Codes holds Rows·Cols bytes, row-major (code of W[r][c] at
// r·Cols+c), each in [-127, 127] (never -128: kernels.PackW8 rejects it).
// Scales holds float32 scales: 1 (PerTensor), len(Ends) (PerSlice: slice i
// is rows [Ends[i-1], Ends[i]), Ends[-1] = 0) or Rows (PerRow). Bits per
// weight: 8 + 32·len(Scales)/(Rows·Cols).
//
// Quantizer (QuantizeW8): for each scale group, s = SymmetricScale(absmax,
// 127) and q = clamp(RNE(float64(w)/float64(s)), -127, 127).
// Dequantizer: ŵ = float32(q)·s, one float32 multiply — the weight the W8A8
// kernels compute with when given the scale s_x·s.
type W8Tensor struct {
	Rows, Cols int
	Gran       Granularity
	// Ends are the exclusive end rows of the output slices (PerSlice only):
	// strictly increasing, the last one equal to Rows.
	Ends   []int
	Codes  []int8
	Scales []float32
}

// checkShape validates a row-major [rows, cols] float32 matrix: sizes,
// length and finiteness (a non-finite weight is named by row and column).
func checkShape(fn string, w []float32, rows, cols int) error {
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("quant: %s: bad shape [%d, %d]: rows and cols must be positive", fn, rows, cols)
	}
	if rows > maxElems/cols {
		return fmt.Errorf("quant: %s: shape [%d, %d] is too large (more than 2^34 weights)", fn, rows, cols)
	}
	if len(w) != rows*cols {
		return fmt.Errorf("quant: %s: %d weights for shape [%d, %d], want %d", fn, len(w), rows, cols, rows*cols)
	}
	for i, v := range w {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("quant: %s: weight [%d][%d] is %v", fn, i/cols, i%cols, v)
		}
	}
	return nil
}

// checkEnds validates slice end rows for PerSlice.
func checkEnds(fn string, ends []int, rows int) error {
	if len(ends) == 0 {
		return fmt.Errorf("quant: %s: per-slice quantization needs slice ends", fn)
	}
	prev := 0
	for i, e := range ends {
		if e <= prev {
			return fmt.Errorf("quant: %s: slice end %d is %d, not above the previous end %d", fn, i, e, prev)
		}
		prev = e
	}
	if prev != rows {
		return fmt.Errorf("quant: %s: last slice ends at row %d, want %d (the row count)", fn, prev, rows)
	}
	return nil
}

// w8Code is the int8 code of v at scale s: clamp(RNE(v/s), -127, 127).
func w8Code(v float64, s float32) int8 {
	q := math.RoundToEven(v / float64(s))
	if q > QMaxI8 {
		q = QMaxI8
	}
	if q < -QMaxI8 {
		q = -QMaxI8
	}
	return int8(q)
}

// w8Scales computes the scales of w [rows, cols] for gran (inputs already
// validated).
func w8Scales(w []float32, rows, cols int, gran Granularity, ends []int) []float32 {
	absRows := func(lo, hi int) float64 {
		var m float64
		for _, v := range w[lo*cols : hi*cols] {
			m = math.Max(m, math.Abs(float64(v)))
		}
		return m
	}
	switch gran {
	case PerTensor:
		return []float32{SymmetricScale(absRows(0, rows), QMaxI8)}
	case PerSlice:
		s := make([]float32, len(ends))
		lo := 0
		for i, e := range ends {
			s[i] = SymmetricScale(absRows(lo, e), QMaxI8)
			lo = e
		}
		return s
	}
	s := make([]float32, rows)
	for r := range s {
		s[r] = SymmetricScale(absRows(r, r+1), QMaxI8)
	}
	return s
}

// newW8Tensor validates the arguments of an int8 quantization and returns
// the tensor with its scales set and zero codes.
func newW8Tensor(fn string, w []float32, rows, cols int, gran Granularity, ends []int) (*W8Tensor, error) {
	if err := checkShape(fn, w, rows, cols); err != nil {
		return nil, err
	}
	t := &W8Tensor{Rows: rows, Cols: cols, Gran: gran}
	switch gran {
	case PerTensor, PerRow:
		if len(ends) != 0 {
			return nil, fmt.Errorf("quant: %s: slice ends given for %v quantization", fn, gran)
		}
	case PerSlice:
		if err := checkEnds(fn, ends, rows); err != nil {
			return nil, err
		}
		t.Ends = append([]int(nil), ends...)
	default:
		return nil, fmt.Errorf("quant: %s: unknown granularity %d", fn, int(gran))
	}
	t.Scales = w8Scales(w, rows, cols, gran, ends)
	t.Codes = make([]int8, rows*cols)
	return t, nil
}

// QuantizeW8 quantizes the weights w [rows, cols] (row-major) to int8 with
// one scale per tensor, per output slice (ends: exclusive end row of every
// slice, the last equal to rows; nil otherwise) or per row, by round to
// nearest (see W8Tensor). It returns an error for bad shapes or slice ends
// and for NaN or infinite weights, naming the row and column.
func QuantizeW8(w []float32, rows, cols int, gran Granularity, ends []int) (*W8Tensor, error) {
	t, err := newW8Tensor("QuantizeW8", w, rows, cols, gran, ends)
	if err != nil {
		return nil, err
	}
	for r := 0; r < rows; r++ {
		s := t.RowScale(r)
		for c := 0; c < cols; c++ {
			t.Codes[r*cols+c] = w8Code(float64(w[r*cols+c]), s)
		}
	}
	return t, nil
}

// RowScale is the scale of output row r.
func (t *W8Tensor) RowScale(r int) float32 {
	switch t.Gran {
	case PerTensor:
		return t.Scales[0]
	case PerSlice:
		for i, e := range t.Ends {
			if r < e {
				return t.Scales[i]
			}
		}
		return t.Scales[len(t.Scales)-1]
	}
	return t.Scales[r]
}

// RowScales returns the scale of every output row (length Rows), the
// per-row form the W8A8 kernels take (multiplied by the activation scale).
func (t *W8Tensor) RowScales() []float32 {
	s := make([]float32, t.Rows)
	for r := range s {
		s[r] = t.RowScale(r)
	}
	return s
}

// Dequantize returns ŵ = float32(q)·s for every weight, row-major [Rows, Cols].
func (t *W8Tensor) Dequantize() []float32 {
	out := make([]float32, t.Rows*t.Cols)
	t.dequantizeInto(out)
	return out
}

// dequantizeInto writes Dequantize's values into dst (len Rows·Cols)
// without allocating.
func (t *W8Tensor) dequantizeInto(dst []float32) {
	for r := range t.Rows {
		s := t.RowScale(r)
		for c, q := range t.Codes[r*t.Cols : (r+1)*t.Cols] {
			dst[r*t.Cols+c] = float32(q) * s
		}
	}
}

// BitsPerWeight is the storage cost per weight: 8 bits of code plus the
// float32 scales amortised over the matrix.
func (t *W8Tensor) BitsPerWeight() float64 {
	return 8 + 32*float64(len(t.Scales))/float64(t.Rows*t.Cols)
}

// Pack packs the codes for the W8A8 kernels (kernels.PackW8).
func (t *W8Tensor) Pack() (*kernels.W8, error) {
	return kernels.PackW8(t.Rows, t.Cols, t.Codes, t.Cols)
}

// InvScale is the multiplier the int8 activation quantizers use for scale:
// float32(1/scale) (a correctly rounded float32 division). The quantized
// runtime must quantize with the same value to match FakeQuantI8 bit for bit.
func InvScale(scale float32) float32 { return 1 / scale }

// checkActScale validates an activation scale: finite, positive, with a
// finite inverse.
func checkActScale(fn string, scale float32) error {
	inv := InvScale(scale)
	if !(scale > 0) || math.IsInf(float64(scale), 0) || math.IsInf(float64(inv), 0) {
		return fmt.Errorf("quant: %s: scale %v must be positive and finite with a finite inverse", fn, scale)
	}
	return nil
}

// fakeQuantChunk is the number of values quantized per kernels call.
const fakeQuantChunk = 1024

// fakeQuant replaces x by float32(q)·scale with q = kernels.QuantizeI8(x,
// inv) (scale already validated).
func fakeQuant(x []float32, scale, inv float32) {
	var q [fakeQuantChunk]int8
	for len(x) > 0 {
		n := min(len(x), fakeQuantChunk)
		kernels.QuantizeI8(x[:n], inv, q[:n])
		kernels.DequantizeI8(q[:n], scale, x[:n])
		x = x[n:]
	}
}

// FakeQuantI8 simulates static int8 activation quantization in place:
//
//	q = sat8(RNE(float32(x·invScale)))  with invScale = InvScale(scale)
//	x = float32(q)·scale
//
// exactly as kernels.QuantizeI8 followed by kernels.DequantizeI8: the
// quantized runtime, which quantizes with kernels.QuantizeI8 and the same
// invScale, sees the same integers. NaN becomes 127·scale, ±Inf and huge
// values saturate to 127·scale or -128·scale, ±0 becomes +0. scale must be
// positive and finite with a finite inverse.
func FakeQuantI8(x []float32, scale float32) error {
	if err := checkActScale("FakeQuantI8", scale); err != nil {
		return err
	}
	fakeQuant(x, scale, InvScale(scale))
	return nil
}

// FakeQuantI8Blocks is FakeQuantI8 with one scale per block of columns:
// x is row-major [T, cols], ends are the exclusive end columns of the blocks
// (strictly increasing, the last equal to cols) and scales[i] is the scale
// of block i (columns [ends[i-1], ends[i])). Per-channel quantization is
// ends = 1, 2, ..., cols. Each value is quantized with InvScale of its
// block's scale, as kernels.QuantizeI8PerChannel does with those inverses.
func FakeQuantI8Blocks(x []float32, cols int, ends []int, scales []float32) error {
	const fn = "FakeQuantI8Blocks"
	if cols <= 0 {
		return fmt.Errorf("quant: %s: cols = %d must be positive", fn, cols)
	}
	if len(x)%cols != 0 {
		return fmt.Errorf("quant: %s: %d values are not whole rows of %d columns", fn, len(x), cols)
	}
	if err := checkEnds(fn, ends, cols); err != nil {
		return err
	}
	if len(scales) != len(ends) {
		return fmt.Errorf("quant: %s: %d scales for %d column blocks", fn, len(scales), len(ends))
	}
	inv := make([]float32, len(scales))
	for i, s := range scales {
		if err := checkActScale(fn+": block "+strconv.Itoa(i), s); err != nil {
			return err
		}
		inv[i] = InvScale(s)
	}
	fakeQuantBlocks(x, cols, ends, scales, inv)
	return nil
}

// fakeQuantBlocks is FakeQuantI8Blocks on checked arguments with the
// reciprocal scales inv: no validation, no allocation.
func fakeQuantBlocks(x []float32, cols int, ends []int, scales, inv []float32) {
	for r := 0; r < len(x); r += cols {
		lo := 0
		for i, e := range ends {
			fakeQuant(x[r+lo:r+e], scales[i], inv[i])
			lo = e
		}
	}
}
