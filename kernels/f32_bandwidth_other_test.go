//go:build noasm || !amd64

package kernels

func readStreams4(b []byte) uint64 { return readStreamGo(b) }
