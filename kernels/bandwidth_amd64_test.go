//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// readStream reads b (len a multiple of 256) as fast as this machine can and
// returns a checksum (XOR of the 8-byte words).
func readStream(b []byte) uint64 {
	if !Has(AVX2) {
		return readStreamGo(b)
	}
	return amd64.MemReadAVX2(&b[0], len(b))
}
