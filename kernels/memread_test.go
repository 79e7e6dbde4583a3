package kernels

import (
	"math/rand/v2"
	"testing"
)

func TestMemReadTiers(t *testing.T) {
	b := make([]byte, 3*memReadUnit)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	want := memReadGo(b)
	defer SetTier(Active())
	for _, tier := range Supported() {
		if err := SetTier(tier); err != nil {
			t.Fatal(err)
		}
		if got := memRead(b); got != want {
			t.Errorf("%s: checksum %#x, want %#x", tier, got, want)
		}
	}
}

func TestReadBandwidth(t *testing.T) {
	b := make([]byte, 8<<20)
	for i := range b {
		b[i] = byte(i)
	}
	for _, threads := range []int{1, 2, 3} {
		if bw := ReadBandwidth(b, threads); !(bw > 0) {
			t.Errorf("%d threads: %g bytes/s", threads, bw)
		}
	}
	if bw := ReadBandwidth(b[:memReadUnit-1], 1); bw != 0 {
		t.Errorf("buffer below one unit: %g bytes/s, want 0", bw)
	}
}
