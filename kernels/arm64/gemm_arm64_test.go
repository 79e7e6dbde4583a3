//go:build !noasm

package arm64

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
	"github.com/x448/float16"
)

// w8Kernels are the W8A8 kernels of one tier.
type w8Kernels struct {
	name string
	ok   bool
	rows int // activation rows of one GEMM block
	gemv func(x, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)
	gemm func(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)
}

func w8Tiers() []w8Kernels {
	return []w8Kernels{
		{"neondot", cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP), GemmRowsNEONDot, GemvW8A8NEONDot, GemmW8A8NEONDot},
		{"neon", cpuid.CPU.Supports(cpuid.ASIMD), GemmRowsNEON, GemvW8A8NEON, GemmW8A8NEON},
	}
}

// packW8 packs w [n x k] (n a multiple of 16) into 16-row panels of 64-byte
// blocks (16 rows × 4 k), as package kernels does.
func packW8(n, k int, w []int8) (data []int8, kb int) {
	kb = (k + 3) / 4
	data = make([]int8, n*kb*4)
	for r := 0; r < n; r++ {
		for c := 0; c < k; c++ {
			data[(r/16)*kb*64+(c/4)*64+(r%16)*4+c%4] = w[r*k+c]
		}
	}
	return data, kb
}

func randInt8(rng *rand.Rand, lo, hi int) int8 { return int8(lo + rng.IntN(hi-lo+1)) }

// w8Case is one W8A8 product: m rows of x against n rows of w.
type w8Case struct {
	m, n, k int
	x       []int8 // m rows of stride ldx; bytes past k are garbage
	ldx     int
	acc     []int32 // reference accumulators [m x n]
	data    []int8
	kb      int
}

func newW8Case(rng *rand.Rand, m, n, k int, extreme bool) *w8Case {
	c := &w8Case{m: m, n: n, k: k}
	w := make([]int8, n*k)
	for i := range w {
		if extreme {
			w[i] = []int8{-127, 127}[rng.IntN(2)]
		} else {
			w[i] = randInt8(rng, -127, 127)
		}
	}
	c.data, c.kb = packW8(n, k, w)
	c.ldx = c.kb*4 + rng.IntN(3)*4
	c.x = make([]int8, (m-1)*c.ldx+c.kb*4)
	for i := range c.x {
		c.x[i] = randInt8(rng, -128, 127) // garbage past k too
	}
	if extreme {
		for i := 0; i < m; i++ {
			for j := 0; j < k; j++ {
				c.x[i*c.ldx+j] = -128
			}
		}
	}
	c.acc = make([]int32, m*n)
	for i := 0; i < m; i++ {
		for r := 0; r < n; r++ {
			var s int32
			for j := 0; j < k; j++ {
				s += int32(c.x[i*c.ldx+j]) * int32(w[r*k+j])
			}
			c.acc[i*n+r] = s
		}
	}
	return c
}

// epSpec is one output mode with its scale and bias.
type epSpec struct {
	mode  int
	scale []float32 // 1 or n values
	bias  []float32 // nil or n values
}

func (e *epSpec) f32(n int, acc int32) float32 {
	s := e.scale[0]
	if len(e.scale) > 1 {
		s = e.scale[n]
	}
	v := float32(float32(acc) * s) // the conversion forbids fusing with the add
	if e.bias != nil {
		v += e.bias[n]
	}
	return v
}

func sat8(v float32) int8 {
	if !(v < 127) {
		v = 127
	}
	if !(v > -128) {
		v = -128
	}
	return int8(math.RoundToEven(float64(v)))
}

// want is the reference output of (i, n) as raw bits widened to uint32.
func (e *epSpec) want(n int, acc int32) uint32 {
	switch e.mode {
	case EpI32:
		return uint32(acc)
	case EpF32:
		return math.Float32bits(e.f32(n, acc))
	case EpF16:
		return uint32(float16.Fromfloat32(e.f32(n, acc)).Bits())
	default:
		return uint32(uint8(sat8(e.f32(n, acc))))
	}
}

var elemSize = [...]int{EpI32: 4, EpF32: 4, EpF16: 2, EpI8: 1}

// outBuf is an output matrix of m rows × ldy elements with guard elements
// after the last row, filled with a sentinel.
type outBuf struct {
	b    []byte
	size int
	ldy  int
}

const guard = 64

func newOutBuf(mode, m, n int) *outBuf {
	o := &outBuf{size: elemSize[mode], ldy: n + 3}
	o.b = make([]byte, (m*o.ldy+guard)*o.size)
	for i := range o.b {
		o.b[i] = 0xA5
	}
	return o
}

func (o *outBuf) get(i int) uint32 {
	var v uint32
	for j := 0; j < o.size; j++ {
		v |= uint32(o.b[i*o.size+j]) << (8 * j)
	}
	return v
}

// check compares the outputs with the reference and the sentinel elsewhere.
func (o *outBuf) check(t *testing.T, what string, c *w8Case, e *epSpec) {
	t.Helper()
	bad := 0
	for i := 0; i < len(o.b)/o.size; i++ {
		row, col := i/o.ldy, i%o.ldy
		var want uint32
		if row < c.m && col < c.n {
			want = e.want(col, c.acc[row*c.n+col])
		} else {
			want = 0xA5A5A5A5 >> (32 - 8*o.size)
		}
		if got := o.get(i); got != want {
			if bad++; bad <= 5 {
				t.Errorf("%s: y[%d][%d] = %#x, want %#x (acc %v)", what, row, col, got, want,
					func() any {
						if row < c.m && col < c.n {
							return c.acc[row*c.n+col]
						}
						return "guard"
					}())
			}
		}
	}
}

func epSpecs(rng *rand.Rand, n int) []epSpec {
	row := func(lo, hi float32) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = lo + (hi-lo)*rng.Float32()
		}
		return s
	}
	i8scale := row(1e-5, 2e-3)
	i8scale[0] = float32(math.NaN())
	if n > 2 {
		i8scale[1] = float32(math.Inf(1))
		i8scale[2] = float32(math.Inf(-1))
	}
	half := row(1e-9, 1e-2)
	half[0] = 1e3 // overflows to infinity
	return []epSpec{
		{mode: EpI32},
		{mode: EpF32, scale: []float32{0.0123}},
		{mode: EpF32, scale: row(-1e-3, 1e-3), bias: row(-3, 3)},
		{mode: EpF32, scale: []float32{3e-4}, bias: row(-3, 3)},
		{mode: EpF16, scale: half},
		{mode: EpF16, scale: []float32{1e-4}},
		{mode: EpF16, scale: row(1e-4, 1e-3), bias: row(-1, 1)},
		{mode: EpI8, scale: i8scale},
		{mode: EpI8, scale: []float32{1.0 / 3}}, // many exact halves
		{mode: EpI8, scale: []float32{5e-4}},
	}
}

func epArgs(e *epSpec) (scale unsafe.Pointer, sstep int, bias unsafe.Pointer) {
	if e.scale != nil {
		scale = unsafe.Pointer(&e.scale[0])
		if len(e.scale) > 1 {
			sstep = 64
		}
	}
	if e.bias != nil {
		bias = unsafe.Pointer(&e.bias[0])
	}
	return
}

// runW8 runs the tier's kernels as package kernels does: GEMV for m == 1,
// GEMM register blocks of k.rows tokens otherwise.
func runW8(k *w8Kernels, c *w8Case, e *epSpec, o *outBuf, forceGemm bool) {
	np := c.n / 16
	scale, sstep, bias := epArgs(e)
	ystep := 16 * o.size
	if c.m == 1 && !forceGemm {
		k.gemv(unsafe.Pointer(&c.x[0]), unsafe.Pointer(&c.data[0]), c.kb, np, unsafe.Pointer(&o.b[0]), ystep, e.mode, scale, sstep, bias)
		return
	}
	for i := 0; i < c.m; i += k.rows {
		mr := min(k.rows, c.m-i)
		k.gemm(unsafe.Pointer(&c.x[i*c.ldx]), c.ldx, mr, unsafe.Pointer(&c.data[0]), c.kb, np,
			unsafe.Pointer(&o.b[i*o.ldy*o.size]), o.ldy*o.size, ystep, e.mode, scale, sstep, bias)
	}
}

func TestW8A8Kernels(t *testing.T) {
	shapes := [][3]int{ // m, n, k
		{1, 16, 1}, {1, 16, 4}, {1, 32, 7}, {1, 48, 16}, {1, 16, 33}, {1, 64, 131}, {1, 32, 768},
		{2, 16, 5}, {3, 32, 19}, {4, 16, 64}, {5, 48, 131}, {7, 32, 200}, {8, 16, 3}, {9, 64, 257},
	}
	for _, k := range w8Tiers() {
		if !k.ok {
			t.Logf("%s: not supported by this CPU, skipped", k.name)
			continue
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for _, sh := range shapes {
			for _, extreme := range []bool{false, true} {
				c := newW8Case(rng, sh[0], sh[1], sh[2], extreme)
				for ei, e := range epSpecs(rng, c.n) {
					for _, forceGemm := range []bool{false, true} {
						if forceGemm && c.m > 1 {
							continue
						}
						o := newOutBuf(e.mode, c.m, c.n)
						runW8(&k, c, &e, o, forceGemm)
						o.check(t, k.name+" "+shapeName(sh, extreme, ei, forceGemm), c, &e)
					}
				}
			}
		}
	}
}

func shapeName(sh [3]int, extreme bool, ep int, gemm bool) string {
	s := "m=" + itoa(sh[0]) + " n=" + itoa(sh[1]) + " k=" + itoa(sh[2]) + " ep#" + itoa(ep)
	if extreme {
		s += " extreme"
	}
	if gemm {
		s += " gemm"
	}
	return s
}

func itoa(i int) string {
	if i < 0 {
		return "-" + itoa(-i)
	}
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
