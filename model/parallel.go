package model

import (
	"runtime"
	"sync"
)

// rangeTask is work over an index range [lo, hi) whose parts may run
// concurrently. Tasks are pointers to structs kept in a State, so handing
// one to the worker pool allocates nothing.
type rangeTask interface {
	run(lo, hi int)
}

type job struct {
	task   rangeTask
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
					j.task.run(j.lo, j.hi)
					j.wg.Done()
				}
			}()
		}
	})
}

// parallelFor runs t over [0, n), split into at most GOMAXPROCS parts of at
// least minPart indices each. The calling goroutine runs the first part.
func parallelFor(wg *sync.WaitGroup, n, minPart int, t rangeTask) {
	parts := runtime.GOMAXPROCS(0)
	if minPart < 1 {
		minPart = 1
	}
	if p := n / minPart; p < parts {
		parts = p
	}
	if parts <= 1 {
		t.run(0, n)
		return
	}
	startPool()
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		pool.jobs <- job{t, n * p / parts, n * (p + 1) / parts, wg}
	}
	t.run(0, n/parts)
	wg.Wait()
}
