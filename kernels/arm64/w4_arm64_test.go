//go:build !noasm

package arm64

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// w4Case is a W4 matrix [n x k] (n a multiple of 16) packed as package
// kernels does, with codes q in [0,15] meaning q-8.
type w4Case struct {
	n, k, kg int
	q        []uint8   // [n x k]
	gsRow    []float32 // [n x kg] row-major
	rs       []float32 // [n]
	codes    []byte    // packed panels
	gs       []float32 // panel-major group scales
}

func newW4Case(rng *rand.Rand, n, k int) *w4Case {
	c := &w4Case{n: n, k: k, kg: (k + 127) / 128}
	kp := c.kg * 128
	c.q = make([]uint8, n*k)
	for i := range c.q {
		c.q[i] = uint8(rng.IntN(16))
	}
	c.gsRow = make([]float32, n*c.kg)
	for i := range c.gsRow {
		c.gsRow[i] = 1e-3 + rng.Float32()*1e-2
	}
	c.rs = make([]float32, n)
	for i := range c.rs {
		c.rs[i] = 0.5 + rng.Float32()
	}
	c.codes = make([]byte, n*kp/2)
	for i := range c.codes {
		c.codes[i] = 0x88 // padding k: code 8
	}
	for r := 0; r < n; r++ {
		p, rr := r/16, r%16
		for j := 0; j < k; j++ {
			b := &c.codes[p*(kp/2)*16+(j/8)*64+rr*4+j%4]
			if j%8 < 4 {
				*b = *b&0xF0 | c.q[r*k+j]
			} else {
				*b = *b&0x0F | c.q[r*k+j]<<4
			}
		}
	}
	c.gs = make([]float32, n*c.kg)
	for r := 0; r < n; r++ {
		for g := 0; g < c.kg; g++ {
			c.gs[((r/16)*c.kg+g)*16+r%16] = c.gsRow[r*c.kg+g]
		}
	}
	return c
}

// w4a8Want is the reference W4A8 output of row n (the pure-Go order).
func (c *w4Case) w4a8Want(x []int8, xs float32, n int) float32 {
	var sum float32
	for g := 0; g < c.kg; g++ {
		var acc int32
		for j := g * 128; j < min(c.k, (g+1)*128); j++ {
			acc += int32(x[j]) * (int32(c.q[n*c.k+j]) - 8)
		}
		sum = sum + float32(c.gsRow[n*c.kg+g]*float32(acc))
	}
	return float32(xs*c.rs[n]) * sum
}

// w4a16Want is the reference W4A16 output of row n in float64, with the
// bound Σ|terms| scaled like the result.
func (c *w4Case) w4a16Want(x []float32, n int) (want, bound float64) {
	for g := 0; g < c.kg; g++ {
		var acc, abs float64
		for j := g * 128; j < min(c.k, (g+1)*128); j++ {
			t := float64(x[j]) * float64(int(c.q[n*c.k+j])-8)
			acc += t
			abs += math.Abs(t)
		}
		want += float64(c.gsRow[n*c.kg+g]) * acc
		bound += math.Abs(float64(c.gsRow[n*c.kg+g])) * abs
	}
	return want * float64(c.rs[n]), bound * math.Abs(float64(c.rs[n]))
}

var w4Shapes = [][2]int{{16, 1}, {16, 8}, {32, 127}, {16, 128}, {48, 129}, {16, 255}, {32, 300}, {16, 768}}

type w4a8Kernel struct {
	name string
	ok   bool
	fn   func(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer, xs float32)
}

func TestW4A8Kernels(t *testing.T) {
	tiers := []w4a8Kernel{
		{"neondot", cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP), W4A8GemvNEONDot},
		{"neon", cpuid.CPU.Supports(cpuid.ASIMD), W4A8GemvNEON},
	}
	for _, tier := range tiers {
		if !tier.ok {
			t.Logf("%s: not supported by this CPU, skipped", tier.name)
			continue
		}
		rng := rand.New(rand.NewPCG(3, 4))
		for _, sh := range w4Shapes {
			c := newW4Case(rng, sh[0], sh[1])
			for _, extreme := range []bool{false, true} {
				x := make([]int8, c.kg*128)
				for i := range x {
					x[i] = randInt8(rng, -128, 127) // garbage past k too
					if extreme {
						x[i] = -128
					}
				}
				xs := float32(0.0173)
				y := make([]float32, c.n+guard)
				for i := range y {
					y[i] = 12345
				}
				tier.fn(unsafe.Pointer(&x[0]), unsafe.Pointer(&c.codes[0]), c.kg, c.n/16,
					unsafe.Pointer(&y[0]), unsafe.Pointer(&c.gs[0]), unsafe.Pointer(&c.rs[0]), xs)
				bad := 0
				for n := range y {
					want := float32(12345)
					if n < c.n {
						want = c.w4a8Want(x, xs, n)
					}
					if math.Float32bits(y[n]) != math.Float32bits(want) {
						if bad++; bad <= 5 {
							t.Errorf("%s n=%d k=%d extreme=%v: y[%d] = %v, want %v", tier.name, c.n, c.k, extreme, n, y[n], want)
						}
					}
				}
			}
		}
	}
}

// TestW4A16Kernel checks |y - exact| ≤ 1e-5 · rs·Σ_g |gs|·Σ_k |x·(q-8)| for
// every row, the exact value computed in float64.
func TestW4A16Kernel(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD) {
		t.Skip("no ASIMD")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range w4Shapes {
		c := newW4Case(rng, sh[0], sh[1])
		x := make([]float32, c.kg*128)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			if i >= c.k {
				// Padding k have code 8, i.e. weight 0: finite garbage must
				// not matter (NaN would, since NaN·0 is NaN).
				x[i] = 1e30
			}
		}
		y := make([]float32, c.n+guard)
		for i := range y {
			y[i] = 12345
		}
		W4A16GemvNEON(unsafe.Pointer(&x[0]), unsafe.Pointer(&c.codes[0]), c.kg, c.n/16,
			unsafe.Pointer(&y[0]), unsafe.Pointer(&c.gs[0]), unsafe.Pointer(&c.rs[0]))
		for n := range y {
			if n >= c.n {
				if y[n] != 12345 {
					t.Errorf("n=%d k=%d: guard y[%d] overwritten: %v", c.n, c.k, n, y[n])
				}
				continue
			}
			want, bound := c.w4a16Want(x, n)
			if d := math.Abs(float64(y[n]) - want); !(d <= 1e-5*bound) {
				t.Errorf("n=%d k=%d: y[%d] = %v, want %v (error %.3g, bound %.3g)", c.n, c.k, n, y[n], want, d, 1e-5*bound)
			}
		}
	}
}

type w4a8GemmKernel struct {
	name string
	ok   bool
	rows int
	fn   func(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32)
}

// TestW4A8GemmKernels runs the register-blocked W4A8 kernels over m rows in
// blocks of the tier's height, as package kernels does, and checks every
// output bit for bit against the pure-Go order, and the guards.
func TestW4A8GemmKernels(t *testing.T) {
	tiers := []w4a8GemmKernel{
		{"neondot", cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP), W4A8GemmRowsNEONDot, W4A8GemmNEONDot},
		{"neon", cpuid.CPU.Supports(cpuid.ASIMD), W4A8GemmRowsNEON, W4A8GemmNEON},
	}
	for _, tier := range tiers {
		if !tier.ok {
			t.Logf("%s: not supported by this CPU, skipped", tier.name)
			continue
		}
		rng := rand.New(rand.NewPCG(7, 8))
		for si, sh := range w4Shapes {
			c := newW4Case(rng, sh[0], sh[1])
			m := []int{1, 2, 3, 4, 5, 7, 9, 6}[si]
			ldx := c.kg*128 + 16*rng.IntN(2)
			x := make([]int8, (m-1)*ldx+c.kg*128)
			for i := range x {
				x[i] = randInt8(rng, -128, 127)
			}
			if si%3 == 2 {
				for i := range x {
					x[i] = -128
				}
			}
			xs := float32(0.0091)
			ldy := c.n + 5
			y := make([]float32, m*ldy+guard)
			for i := range y {
				y[i] = 12345
			}
			var sum [4 * 16]float32
			for i := 0; i < m; i += tier.rows {
				tier.fn(unsafe.Pointer(&x[i*ldx]), ldx, min(tier.rows, m-i), unsafe.Pointer(&c.codes[0]), c.kg, c.n/16,
					unsafe.Pointer(&y[i*ldy]), 4*ldy, unsafe.Pointer(&c.gs[0]), unsafe.Pointer(&c.rs[0]), unsafe.Pointer(&sum[0]), xs)
			}
			bad := 0
			for j := range y {
				i, n := j/ldy, j%ldy
				want := float32(12345)
				if i < m && n < c.n {
					want = c.w4a8Want(x[i*ldx:], xs, n)
				}
				if math.Float32bits(y[j]) != math.Float32bits(want) {
					if bad++; bad <= 5 {
						t.Errorf("%s m=%d n=%d k=%d: y[%d][%d] = %v, want %v", tier.name, m, c.n, c.k, i, n, y[j], want)
					}
				}
			}
		}
	}
}

// TestW4DequantGroup checks the decoded layout of every group of every panel
// exactly.
func TestW4DequantGroup(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD) {
		t.Skip("no ASIMD")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	c := newW4Case(rng, 32, 300)
	var buf [128*16 + guard]float32
	for i := range buf {
		buf[i] = 12345
	}
	for p := 0; p < c.n/16; p++ {
		for g := 0; g < c.kg; g++ {
			W4DequantGroupNEON(unsafe.Pointer(&c.codes[(p*c.kg+g)*1024]), unsafe.Pointer(&buf[0]))
			for j, v := range buf {
				want := float32(12345)
				if j < 128*16 {
					kquad, q, kk, i := j/64, j/16%4, j/4%4, j%4
					r, k := 16*p+4*q+i, 128*g+4*kquad+kk
					want = 0 // padding k: code 8
					if k < c.k {
						want = float32(int(c.q[r*c.k+k]) - 8)
					}
				}
				if v != want {
					t.Fatalf("panel %d group %d: buf[%d] = %v, want %v", p, g, j, v, want)
				}
			}
		}
	}
}

// TestW4A16GemmKernel runs the decode + register-block pair over m rows as
// package kernels does and checks each output within the W4A16 bound of
// TestW4A16Kernel.
func TestW4A16GemmKernel(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD) {
		t.Skip("no ASIMD")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for si, sh := range w4Shapes {
		c := newW4Case(rng, sh[0], sh[1])
		m := []int{1, 2, 3, 4, 5, 7, 9, 6}[si]
		kp := c.kg * 128
		ldx := kp + 4*rng.IntN(2)
		x := make([]float32, (m-1)*ldx+kp)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			if i%ldx >= c.k {
				x[i] = 1e30 // padding: weighted by code 8, i.e. zero
			}
		}
		sum := make([]float32, m*16+guard)
		var buf [128 * 16]float32
		for p := 0; p < c.n/16; p++ {
			for i := range sum {
				sum[i] = 0
				if i >= m*16 {
					sum[i] = 12345
				}
			}
			for g := 0; g < c.kg; g++ {
				W4DequantGroupNEON(unsafe.Pointer(&c.codes[(p*c.kg+g)*1024]), unsafe.Pointer(&buf[0]))
				for i := 0; i < m; i += W4A16GemmRows {
					W4A16GemmNEON(unsafe.Pointer(&x[i*ldx+g*128]), 4*ldx, min(W4A16GemmRows, m-i),
						unsafe.Pointer(&buf[0]), unsafe.Pointer(&c.gs[(p*c.kg+g)*16]), unsafe.Pointer(&sum[i*16]))
				}
			}
			for j, s := range sum {
				i, r := j/16, j%16
				if i >= m {
					if s != 12345 {
						t.Errorf("m=%d n=%d k=%d: guard sum[%d] overwritten: %v", m, c.n, c.k, j, s)
					}
					continue
				}
				n := 16*p + r
				got := c.rs[n] * s
				want, bound := c.w4a16Want(x[i*ldx:], n)
				if d := math.Abs(float64(got) - want); !(d <= 1e-5*bound) {
					t.Errorf("m=%d n=%d k=%d: y[%d][%d] = %v, want %v (error %.3g, bound %.3g)", m, c.n, c.k, i, n, got, want, d, 1e-5*bound)
				}
			}
		}
	}
}
