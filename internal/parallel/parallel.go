// Package parallel is quamba's process-wide worker pool: range tasks split
// over GOMAXPROCS goroutines without allocating, shared by every engine (the
// FP32 engine, the quantization simulation and the int8 runtime).
package parallel

import (
	"runtime"
	"sync"
)

// Task is work over an index range [lo, hi) whose parts may run
// concurrently. Tasks are usually pointers to structs kept in a per-sequence
// state, so handing one to the pool allocates nothing.
type Task interface {
	Run(lo, hi int)
}

type job struct {
	task   Task
	lo, hi int
	wg     *sync.WaitGroup
}

// pool is a process-wide set of worker goroutines, started on first use.
var pool struct {
	once sync.Once
	jobs chan job
}

func startPool() {
	pool.once.Do(func() {
		n := runtime.NumCPU() - 1
		if n < 1 {
			n = 1
		}
		pool.jobs = make(chan job, 4*n)
		for range n {
			go func() {
				for j := range pool.jobs {
					j.task.Run(j.lo, j.hi)
					j.wg.Done()
				}
			}()
		}
	})
}

// For runs t over [0, n), split into at most GOMAXPROCS parts of at least
// minPart indices each, part p covering [n·p/parts, n·(p+1)/parts). The
// calling goroutine runs the first part; For returns when all parts are
// done. wg must not be in use by another For at the same time.
func For(wg *sync.WaitGroup, n, minPart int, t Task) {
	parts := runtime.GOMAXPROCS(0)
	if minPart < 1 {
		minPart = 1
	}
	if p := n / minPart; p < parts {
		parts = p
	}
	if parts <= 1 {
		t.Run(0, n)
		return
	}
	startPool()
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		pool.jobs <- job{t, n * p / parts, n * (p + 1) / parts, wg}
	}
	t.Run(0, n/parts)
	wg.Wait()
}
