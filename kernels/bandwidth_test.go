package kernels

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// Memory-bandwidth yardsticks for the streaming kernels: the GEMV
// benchmarks are judged against these, measured in the same run.

const dramBytes = 256 << 20 // far beyond any last-level cache

func readStreamGo(b []byte) uint64 {
	var s uint64
	for i := 0; i+8 <= len(b); i += 8 {
		s ^= binary.LittleEndian.Uint64(b[i:])
	}
	return s
}

func TestReadStream(t *testing.T) {
	b := make([]byte, 4096+256)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	for _, n := range []int{256, 512, 4096 + 256} {
		if got, want := readStream(b[:n]), readStreamGo(b[:n]); got != want {
			t.Fatalf("n=%d: %#x, want %#x", n, got, want)
		}
	}
}

func dramBuffer() []byte {
	b := make([]byte, dramBytes)
	for i := 0; i < len(b); i += 4096 {
		b[i] = byte(i >> 12) // touch every page
	}
	return b
}

var sink uint64

// BenchmarkDRAMRead streams a 256 MB buffer with 32-byte loads (AVX2 where
// available): the single-core read bandwidth.
func BenchmarkDRAMRead(b *testing.B) {
	buf := dramBuffer()
	b.SetBytes(dramBytes)
	b.ResetTimer()
	for b.Loop() {
		sink ^= readStream(buf)
	}
}

// BenchmarkDRAMCopy copies 128 MB into another 128 MB with the built-in
// copy; SetBytes counts the bytes read.
func BenchmarkDRAMCopy(b *testing.B) {
	buf := dramBuffer()
	src, dst := buf[:dramBytes/2], buf[dramBytes/2:]
	b.SetBytes(dramBytes / 2)
	b.ResetTimer()
	for b.Loop() {
		copy(dst, src)
	}
}
