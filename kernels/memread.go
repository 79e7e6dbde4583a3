package kernels

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ReadBandwidth reads buf once with threads goroutines, each locked to its
// own OS thread and streaming one contiguous part of buf with the read loop
// of the active tier (AVX-512: eight streams of 64-byte loads, the pattern
// of the AVX-512 GEMVs; AVX2: 32-byte loads; otherwise a pure-Go loop over
// 8-byte words), and returns the bytes read per second of wall time, from
// the moment all readers are released until the last one ends. It is the
// DRAM read-bandwidth yardstick of the decode kernels: buf should be much
// larger than the last-level cache, and it must have been written (pages
// never written read the shared zero page, which stays in cache). Each
// part is cut to a multiple of the read loop's unit; a buffer too small
// for one unit per thread returns 0.
func ReadBandwidth(buf []byte, threads int) float64 {
	threads = max(threads, 1)
	part := len(buf) / threads / memReadUnit * memReadUnit
	if part == 0 {
		return 0
	}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	sums := make([]uint64, threads)
	ready.Add(threads)
	done.Add(threads)
	for t := range threads {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			defer done.Done()
			ready.Done()
			<-start
			sums[t] = memRead(buf[t*part : (t+1)*part])
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	el := time.Since(t0).Seconds()
	var s uint64
	for _, v := range sums {
		s ^= v
	}
	memReadSink.Store(s)
	if el <= 0 {
		return 0
	}
	return float64(threads*part) / el
}

// memReadSink keeps the checksums of ReadBandwidth observable.
var memReadSink atomic.Uint64

// memReadGo is the pure-Go read loop: the XOR of the 8-byte little-endian
// words of b (len a multiple of 32), four words per iteration.
func memReadGo(b []byte) uint64 {
	var s0, s1, s2, s3 uint64
	for i := 0; i+32 <= len(b); i += 32 {
		w := b[i : i+32 : i+32]
		s0 ^= binary.LittleEndian.Uint64(w[0:])
		s1 ^= binary.LittleEndian.Uint64(w[8:])
		s2 ^= binary.LittleEndian.Uint64(w[16:])
		s3 ^= binary.LittleEndian.Uint64(w[24:])
	}
	return s0 ^ s1 ^ s2 ^ s3
}
