//go:build noasm || !amd64

package kernels

// memReadUnit is the length every part ReadBandwidth reads is a multiple of.
const memReadUnit = 2048

// memRead reads b with the pure-Go loop (no SIMD read loop on this
// architecture).
func memRead(b []byte) uint64 { return memReadGo(b) }
