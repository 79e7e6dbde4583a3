//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// memReadUnit is the length every part ReadBandwidth reads is a multiple
// of: MemRead8AVX512's unit (MemReadAVX2 takes multiples of 256).
const memReadUnit = 2048

// memRead reads b (len a multiple of memReadUnit) with the active tier's
// read loop and returns the XOR of its 8-byte words.
func memRead(b []byte) uint64 {
	switch Active() {
	case AVX512:
		return amd64.MemRead8AVX512(&b[0], len(b))
	case AVX2:
		return amd64.MemReadAVX2(&b[0], len(b))
	}
	return memReadGo(b)
}
