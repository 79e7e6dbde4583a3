//go:build noasm || !amd64

package kernels

func readStream(b []byte) uint64 { return readStreamGo(b) }
