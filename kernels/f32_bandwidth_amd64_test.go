//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// readStreams4 reads b (len a multiple of 1024) as four sequential streams
// in step, like the float32 GEMV, and returns the XOR of its 8-byte words.
func readStreams4(b []byte) uint64 {
	if !Has(AVX2) {
		return readStreamGo(b)
	}
	return amd64.MemRead4AVX2(&b[0], len(b))
}
