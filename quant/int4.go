package quant

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/quamba/quamba/kernels"
)

// W4Tensor is a 4-bit weight matrix W [Rows, Cols] (output rows, input
// columns K = Cols) with one scale per (row, group of Group consecutive
// columns) and one scale per row, the format of kernels.W4.
//
// Groups: group g of a row covers columns [g·Group, min(Cols, (g+1)·Group));
// there are Groups() = ceil(Cols/Group) of them, the last one shorter when
// Cols is not a multiple of Group and the whole row when Cols < Group.
// Group is 128, 64 or 32; the runtime kernels (kernels.PackW4, Pack) take
// Group = kernels.W4Group = 128 only.
//
// Storage: Codes holds Rows·Cols codes in [0, 15], row-major, code q meaning
// the integer q-8 in [-8, 7]; PackNibbles stores them two per byte.
// GroupScale [Rows, Groups()] row-major and RowScale [Rows] are float32.
// Bits per weight: 4 + 32·Groups()/Cols + 32/Cols (BitsPerWeight), i.e.
// 4.25 + 32/K for Group 128 and K a multiple of it.
//
// Quantizer (QuantizeW4, GPTQW4): for each (row n, group g) with clip ratio
// r in (0, 1],
//
//	s[n][g] = float32(r·max(absmax, 1e-5)·2/15), at least 1e-6
//	q       = clamp(RNE(w/s[n][g]) + 8, 0, 15)
//
// (r = 1 is Quamba2's Marlin quantizer: the maximum maps to 7.5, so +max
// rounds to 8 and clips to 7), then the split into kernel scales
//
//	RowScale[n]      = rs[n]    = max_g s[n][g]
//	GroupScale[n][g] = gs[n][g] = float32(s[n][g]/rs[n])
//
// Dequantizer (Dequantize): ŵ = float32(float32(rs[n]·gs[n][g])·float32(q-8)),
// first the float32 product of the two scales, then the float32 product with
// the integer. This is the weight the W4 kernels compute with: they apply
// rs[n] and gs[n][g] to partial sums of x·(q-8), which equals Σ x·ŵ up to
// float32 summation rounding. float32(rs·gs) differs from s[n][g] by at most
// a few float32 ulps.
type W4Tensor struct {
	Rows, Cols, Group int
	Codes             []uint8
	GroupScale        []float32
	RowScale          []float32
}

// W4Options configures the 4-bit quantizer.
type W4Options struct {
	// Group is the group size along K: 128, 64 or 32.
	Group int
	// Clip is the clip ratio r in (0, 1] used when Search is false; 0 means 1.
	Clip float64
	// Search chooses r per (row, group) from Grid, minimising the group's
	// output error (w-ŵ)ᵀ·H_g·(w-ŵ), H_g the group's diagonal block of the
	// Hessian, or the plain squared error Σ (w-ŵ)² without a Hessian. Ties go
	// to the larger r.
	Search bool
	// Grid holds the candidate clip ratios for Search, each in (0, 1]; nil
	// means ClipGrid().
	Grid []float64
}

// ClipGrid returns the default clip-ratio candidates 1, 0.95, ..., 0.5.
func ClipGrid() []float64 {
	g := make([]float64, 11)
	for i := range g {
		g[i] = float64(20-i) / 20
	}
	return g
}

// w4QMax is the magnitude the group maximum maps to: 7.5 = 15/2.
const w4QMax = 7.5

// w4Scale is the group scale for absolute maximum absmax and clip ratio r.
func w4Scale(absmax, r float64) float32 {
	s := float32(r * math.Max(absmax, MinAbsMax) / w4QMax)
	if s < MinScale {
		s = MinScale
	}
	return s
}

// w4Code is the code of v at scale s: clamp(RNE(v/s)+8, 0, 15).
func w4Code(v float64, s float32) uint8 {
	q := math.RoundToEven(v/float64(s)) + 8
	if q > 15 {
		q = 15
	}
	if q < 0 {
		q = 0
	}
	return uint8(q)
}

// w4Value is the value of code q at scale s, in float64: (q-8)·s.
func w4Value(q uint8, s float32) float64 { return float64(int(q)-8) * float64(s) }

// w4Config is a validated W4Options: the group size and the clip ratios to
// try, best first on ties.
type w4Config struct {
	group int
	grid  []float64
}

func (o W4Options) config(fn string) (w4Config, error) {
	switch o.Group {
	case 128, 64, 32:
	default:
		return w4Config{}, fmt.Errorf("quant: %s: group size %d is not supported (want 128, 64 or 32)", fn, o.Group)
	}
	c := w4Config{group: o.Group}
	if !o.Search {
		r := o.Clip
		if r == 0 {
			r = 1
		}
		if !(r > 0 && r <= 1) {
			return w4Config{}, fmt.Errorf("quant: %s: clip ratio %v is not in (0, 1]", fn, o.Clip)
		}
		c.grid = []float64{r}
		return c, nil
	}
	if o.Clip != 0 {
		return w4Config{}, fmt.Errorf("quant: %s: a fixed clip ratio %v and a clip search are both set", fn, o.Clip)
	}
	grid := o.Grid
	if grid == nil {
		grid = ClipGrid()
	}
	if len(grid) == 0 {
		return w4Config{}, fmt.Errorf("quant: %s: empty clip grid", fn)
	}
	for i, r := range grid {
		if !(r > 0 && r <= 1) {
			return w4Config{}, fmt.Errorf("quant: %s: clip grid entry %d = %v is not in (0, 1]", fn, i, r)
		}
	}
	c.grid = append([]float64(nil), grid...)
	return c, nil
}

// groupScale chooses the scale of one group v (current weights) among the
// clip ratios of c: the one with the least error, ties to the larger ratio.
// h is nil (squared error) or the group's diagonal block of the Hessian:
// h[i·ld+j] = H[c0+i][c0+j]. e is scratch of len(v).
func (c *w4Config) groupScale(v []float64, h []float64, ld int, e []float64) float32 {
	var absmax float64
	for _, x := range v {
		absmax = math.Max(absmax, math.Abs(x))
	}
	if len(c.grid) == 1 {
		return w4Scale(absmax, c.grid[0])
	}
	best, bestR, bestErr := float32(0), 0.0, math.Inf(1)
	for _, r := range c.grid {
		s := w4Scale(absmax, r)
		for i, x := range v {
			e[i] = x - w4Value(w4Code(x, s), s)
		}
		var err float64
		if h == nil {
			for _, d := range e[:len(v)] {
				err += d * d
			}
		} else {
			for i, di := range e[:len(v)] {
				if di == 0 {
					continue
				}
				row := h[i*ld : i*ld+len(v)]
				var t float64
				for j, dj := range e[:len(v)] {
					t += row[j] * dj
				}
				err += di * t
			}
		}
		if err < bestErr || (err == bestErr && r > bestR) {
			best, bestR, bestErr = s, r, err
		}
	}
	return best
}

// newW4Tensor allocates a tensor; scales are filled by finishW4 from the
// per-(row, group) scales s.
func newW4Tensor(rows, cols, group int) *W4Tensor {
	ng := (cols + group - 1) / group
	return &W4Tensor{
		Rows: rows, Cols: cols, Group: group,
		Codes:      make([]uint8, rows*cols),
		GroupScale: make([]float32, rows*ng),
		RowScale:   make([]float32, rows),
	}
}

// setScales splits the group scales s [Rows, Groups()] into RowScale and
// GroupScale.
func (t *W4Tensor) setScales(s []float32) {
	ng := t.Groups()
	for r := 0; r < t.Rows; r++ {
		rs := s[r*ng]
		for _, v := range s[r*ng : (r+1)*ng] {
			rs = max(rs, v)
		}
		t.RowScale[r] = rs
		for g := 0; g < ng; g++ {
			t.GroupScale[r*ng+g] = s[r*ng+g] / rs
		}
	}
}

// QuantizeW4 quantizes the weights w [rows, cols] (row-major) to 4 bits by
// round to nearest in groups (see W4Tensor), with a fixed clip ratio or a
// per-group clip search (W4Options). h, used only by the search, is the
// layer's calibration Hessian over the cols inputs; nil means plain squared
// error. Errors name bad shapes, options and NaN or infinite weights.
func QuantizeW4(w []float32, rows, cols int, h *Hessian, opt W4Options) (*W4Tensor, error) {
	const fn = "QuantizeW4"
	if err := checkShape(fn, w, rows, cols); err != nil {
		return nil, err
	}
	cfg, err := opt.config(fn)
	if err != nil {
		return nil, err
	}
	var hm []float64
	if h != nil && opt.Search {
		if h.K() != cols {
			return nil, fmt.Errorf("quant: %s: Hessian is over %d inputs, weights have %d columns", fn, h.K(), cols)
		}
		if hm, err = h.Matrix(); err != nil {
			return nil, fmt.Errorf("quant: %s: %w", fn, err)
		}
	}
	t := newW4Tensor(rows, cols, cfg.group)
	ng := t.Groups()
	s := make([]float32, rows*ng)
	forRowBlocks(rows, 16, func(lo, hi int) {
		v := make([]float64, cfg.group)
		e := make([]float64, cfg.group)
		for r := lo; r < hi; r++ {
			for g := 0; g < ng; g++ {
				c0, c1 := g*cfg.group, min(cols, (g+1)*cfg.group)
				seg := v[:c1-c0]
				for i := range seg {
					seg[i] = float64(w[r*cols+c0+i])
				}
				var hb []float64
				if hm != nil {
					hb = hm[c0*cols+c0:]
				}
				sc := cfg.groupScale(seg, hb, cols, e)
				s[r*ng+g] = sc
				for i, x := range seg {
					t.Codes[r*cols+c0+i] = w4Code(x, sc)
				}
			}
		}
	})
	t.setScales(s)
	return t, nil
}

// Groups is the number of groups per row, ceil(Cols/Group).
func (t *W4Tensor) Groups() int { return (t.Cols + t.Group - 1) / t.Group }

// Dequantize returns the weights the kernels compute with, row-major
// [Rows, Cols]: float32(float32(rs·gs)·float32(q-8)).
func (t *W4Tensor) Dequantize() []float32 {
	ng := t.Groups()
	out := make([]float32, t.Rows*t.Cols)
	for r := 0; r < t.Rows; r++ {
		for g := 0; g < ng; g++ {
			s := t.RowScale[r] * t.GroupScale[r*ng+g]
			for c := g * t.Group; c < min(t.Cols, (g+1)*t.Group); c++ {
				out[r*t.Cols+c] = s * float32(int(t.Codes[r*t.Cols+c])-8)
			}
		}
	}
	return out
}

// BitsPerWeight is the storage cost per weight: 4 bits of code plus the
// float32 group scales and the float32 row scale amortised over a row.
func (t *W4Tensor) BitsPerWeight() float64 {
	return 4 + 32*float64(t.Groups()+1)/float64(t.Cols)
}

// PackNibbles stores the codes two per byte: byte i holds the code of
// flattened (row-major) weight 2i in its low nibble and weight 2i+1 in its
// high nibble; an odd count ends with a high nibble of 8 (the value 0).
// The result has ceil(Rows·Cols/2) bytes; UnpackNibbles inverts it.
func (t *W4Tensor) PackNibbles() []byte {
	n := len(t.Codes)
	b := make([]byte, (n+1)/2)
	for i := range b {
		lo, hi := t.Codes[2*i]&0x0f, uint8(8)
		if 2*i+1 < n {
			hi = t.Codes[2*i+1] & 0x0f
		}
		b[i] = lo | hi<<4
	}
	return b
}

// UnpackNibbles returns the n codes stored by PackNibbles in b.
func UnpackNibbles(b []byte, n int) ([]uint8, error) {
	if n < 0 || len(b) != (n+1)/2 {
		return nil, fmt.Errorf("quant: UnpackNibbles: %d bytes cannot hold exactly %d codes (want %d bytes)", len(b), n, (max(n, 0)+1)/2)
	}
	q := make([]uint8, n)
	for i := range q {
		v := b[i/2]
		if i%2 == 1 {
			v >>= 4
		}
		q[i] = v & 0x0f
	}
	return q, nil
}

// Pack packs the tensor for the W4A8 and W4A16 kernels (kernels.PackW4),
// which take Group = kernels.W4Group (128) only.
func (t *W4Tensor) Pack() (*kernels.W4, error) {
	if t.Group != kernels.W4Group {
		return nil, fmt.Errorf("quant: W4Tensor.Pack: group size %d: the kernels take %d only", t.Group, kernels.W4Group)
	}
	return kernels.PackW4(t.Rows, t.Cols, t.Codes, t.Cols, t.GroupScale, t.RowScale)
}

// forRowBlocks runs fn over [0, rows) in blocks of blk rows on up to
// GOMAXPROCS goroutines. Each block is handled by exactly one call, so
// results written per row do not depend on the number of goroutines.
func forRowBlocks(rows, blk int, fn func(lo, hi int)) {
	nb := (rows + blk - 1) / blk
	workers := min(runtime.GOMAXPROCS(0), nb)
	if workers <= 1 {
		for b := 0; b < nb; b++ {
			fn(b*blk, min(rows, (b+1)*blk))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= nb {
					return
				}
				fn(b*blk, min(rows, (b+1)*blk))
			}
		}()
	}
	wg.Wait()
}
