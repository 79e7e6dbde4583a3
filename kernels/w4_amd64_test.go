//go:build !noasm

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestSumI8 checks the word-at-a-time sum of the W4A8 corrections against
// a plain loop, at every length up to 300 and at the extremes.
func TestSumI8(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]int8, 300)
	for _, fill := range []func(int) int8{
		func(int) int8 { return int8(r.IntN(256) - 128) },
		func(int) int8 { return -128 },
		func(int) int8 { return 127 },
	} {
		for i := range v {
			v[i] = fill(i)
		}
		for n := 0; n <= len(v); n++ {
			for _, off := range []int{0, 3} {
				if off+n > len(v) {
					continue
				}
				var want int32
				for _, x := range v[off : off+n] {
					want += int32(x)
				}
				if got := sumI8(v[off : off+n]); got != want {
					t.Fatalf("sumI8 of %d values at offset %d = %d, want %d", n, off, got, want)
				}
			}
		}
	}
}
