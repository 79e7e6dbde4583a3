//go:build arm64 && !noasm

package arm64

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// TestPackXI8MMW8 checks the prepared activation layout byte by byte,
// including the zero columns past k and the rows past mr (repeating row
// mr-1), for k with and without whole 16-k units (assembly) and a rest (Go).
func TestPackXI8MMW8(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD) {
		t.Skip("no ASIMD")
	}
	rng := rand.New(rand.NewPCG(31, 32))
	for _, k := range []int{1, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 64, 100} {
		for mr := 1; mr <= GemmRowsI8MM; mr++ {
			ldx := k + rng.IntN(5)
			x := make([]int8, (mr-1)*ldx+k)
			for i := range x {
				x[i] = randInt8(rng, -128, 127)
			}
			orig := append([]int8(nil), x...)
			kb := (k+3)/4 + rng.IntN(3) // past k: zero chunks
			n := XBytesI8MMW8(kb)
			dst := make([]byte, n+guard)
			for i := range dst {
				dst[i] = 0xA5
			}
			PackXI8MMW8(dst, unsafe.Pointer(&x[0]), ldx, mr, k, kb)
			for i, b := range dst {
				want := byte(0xA5)
				if i < n {
					c, p, h, j := i/64, i/16%4, i/8%2, i%8
					want = 0
					if row, col := min(2*p+h, mr-1), 8*c+j; col < k {
						want = byte(x[row*ldx+col])
					}
				}
				if b != want {
					t.Fatalf("k=%d mr=%d: dst[%d] = %#x, want %#x", k, mr, i, b, want)
				}
			}
			for i := range x {
				if x[i] != orig[i] {
					t.Fatalf("k=%d mr=%d: x[%d] changed", k, mr, i)
				}
			}
		}
	}
}

// TestW8A8I8MMKernel runs GemmW8A8I8MM over m rows in blocks of 8 (the last
// one partial) against the int32 reference and every output mode, with
// guards after the output: odd and even numbers of 4-k blocks (the odd last
// block is a separate path), one to four panels.
func TestW8A8I8MMKernel(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP, cpuid.I8MM) {
		t.Skip("no I8MM on this CPU")
	}
	shapes := [][3]int{ // m, n, k
		{1, 16, 1}, {2, 16, 4}, {3, 32, 5}, {4, 16, 8}, {5, 48, 9}, {6, 16, 12}, {7, 32, 19},
		{8, 16, 64}, {9, 64, 131}, {10, 32, 200}, {11, 16, 3}, {12, 48, 257}, {13, 16, 33},
		{15, 32, 768}, {16, 16, 130}, {17, 32, 61},
	}
	rng := rand.New(rand.NewPCG(33, 34))
	var acc [GemmRowsI8MM * 16]int32
	for _, sh := range shapes {
		for _, extreme := range []bool{false, true} {
			c := newW8Case(rng, sh[0], sh[1], sh[2], extreme)
			xp := make([]byte, XBytesI8MMW8(c.kb))
			for ei, e := range epSpecs(rng, c.n) {
				o := newOutBuf(e.mode, c.m, c.n)
				scale, sstep, bias := epArgs(&e)
				for i := 0; i < c.m; i += GemmRowsI8MM {
					mr := min(GemmRowsI8MM, c.m-i)
					// Packed as package kernels does: k columns, zero after.
					PackXI8MMW8(xp, unsafe.Pointer(&c.x[i*c.ldx]), c.ldx, mr, c.k, c.kb)
					GemmW8A8I8MM(unsafe.Pointer(&xp[0]), mr, unsafe.Pointer(&c.data[0]), c.kb, c.n/16,
						unsafe.Pointer(&o.b[i*o.ldy*o.size]), o.ldy*o.size, 16*o.size, e.mode, scale, sstep, bias, unsafe.Pointer(&acc[0]))
				}
				o.check(t, "i8mm "+shapeName(sh, extreme, ei, false), c, &e)
			}
		}
	}
}

// TestPackXI8MMW4 checks the prepared W4A8 activations: the chunks as in
// PackXI8MMW8 and the 8·Σx of every row pair and group, for whole groups
// (assembly) and a last partial one (Go).
func TestPackXI8MMW4(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP) {
		t.Skip("no dot product on this CPU (the sums use SDOT)")
	}
	rng := rand.New(rand.NewPCG(35, 36))
	for _, k := range []int{1, 9, 127, 128, 129, 256, 300, 383} {
		kg := (k + 127) / 128
		for _, mr := range []int{1, 2, 5, 8} {
			for _, extreme := range []int8{0, -128, 127} {
				ldx := k + rng.IntN(9)
				x := make([]int8, (mr-1)*ldx+k)
				for i := range x {
					x[i] = randInt8(rng, -128, 127)
					if extreme != 0 {
						x[i] = extreme
					}
				}
				n := XBytesI8MMW4(kg)
				dst := make([]byte, n+guard)
				for i := range dst {
					dst[i] = 0xA5
				}
				PackXI8MMW4(dst, unsafe.Pointer(&x[0]), ldx, mr, k, kg)
				val := func(row, col int) int8 {
					if col < k {
						return x[min(row, mr-1)*ldx+col]
					}
					return 0
				}
				for i, b := range dst {
					if i >= n {
						if b != 0xA5 {
							t.Fatalf("k=%d mr=%d: guard dst[%d] overwritten", k, mr, i)
						}
						continue
					}
					g, j := i/1088, i%1088
					if j < 1024 {
						c, p, h, jj := j/64, j/16%4, j/8%2, j%8
						if want := byte(val(2*p+h, 128*g+8*c+jj)); b != want {
							t.Fatalf("k=%d mr=%d: dst[%d] = %#x, want %#x", k, mr, i, b, want)
						}
					}
				}
				for g := 0; g < kg; g++ {
					for lane := 0; lane < 16; lane++ {
						row := lane/4*2 + lane%4/2
						var s int32
						for c := 128 * g; c < 128*(g+1); c++ {
							s += int32(val(row, c))
						}
						o := g*1088 + 1024 + 4*lane
						got := int32(uint32(dst[o]) | uint32(dst[o+1])<<8 | uint32(dst[o+2])<<16 | uint32(dst[o+3])<<24)
						if got != 8*s {
							t.Fatalf("k=%d mr=%d extreme=%d: group %d lane %d = %d, want 8·%d", k, mr, extreme, g, lane, got, s)
						}
					}
				}
			}
		}
	}
}

// TestW4A8I8MMKernel runs W4A8GemmI8MM over m rows in blocks of 8 (the last
// one partial), as package kernels does, and checks every output bit for
// bit against the pure-Go order, and the guards after the output.
func TestW4A8I8MMKernel(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP, cpuid.I8MM) {
		t.Skip("no I8MM on this CPU")
	}
	rng := rand.New(rand.NewPCG(37, 38))
	for si, sh := range w4Shapes {
		c := newW4Case(rng, sh[0], sh[1])
		for _, m := range []int{[]int{1, 2, 3, 5, 6, 7, 8, 9}[si], []int{16, 13, 10, 11, 12, 14, 15, 17}[si]} {
			ldx := c.k + rng.IntN(17)
			x := make([]int8, (m-1)*ldx+c.k)
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
			xp := make([]byte, XBytesI8MMW4(c.kg))
			var sum [8 * 8]float32
			for i := 0; i < m; i += GemmRowsI8MM {
				mr := min(GemmRowsI8MM, m-i)
				PackXI8MMW4(xp, unsafe.Pointer(&x[i*ldx]), ldx, mr, c.k, c.kg)
				W4A8GemmI8MM(unsafe.Pointer(&xp[0]), mr, unsafe.Pointer(&c.codes[0]), c.kg, c.n/16,
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
						t.Errorf("i8mm m=%d n=%d k=%d: y[%d][%d] = %v, want %v", m, c.n, c.k, i, n, y[j], want)
					}
				}
			}
		}
	}
}
