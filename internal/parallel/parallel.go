// Package parallel is quamba's process-wide worker pool: range tasks split
// over GOMAXPROCS goroutines without allocating, shared by every engine (the
// FP32 engine, the quantization simulation and the int8 runtime).
//
// A decode step hands the pool a few hundred small tasks (every projection,
// conv and scan of every layer), each a few microseconds long: waking a
// parked goroutine costs about as much. So workers poll for the next task
// for a short while before they park, and For polls for the completion of
// its parts before it yields.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Task is work over an index range [lo, hi) whose parts may run
// concurrently. Tasks are usually pointers to structs kept in a per-sequence
// state, so handing one to the pool allocates nothing.
type Task interface {
	Run(lo, hi int)
}

// Group tracks the parts of one For call still running. A Group is used by
// one For at a time; its zero value is ready.
type Group struct {
	pending atomic.Int32
}

type job struct {
	task   Task
	lo, hi int
	g      *Group
}

// pool is a process-wide set of worker goroutines, started on first use.
var pool struct {
	once sync.Once
	jobs chan job
}

// Polling budgets: a worker polls this many times for a next job before it
// parks on the channel (about 20-50 µs); For polls its parts this many
// times between yields.
const (
	workerPolls = 2000
	waitPolls   = 200
)

func startPool() {
	pool.once.Do(func() {
		n := runtime.NumCPU() - 1
		if n < 1 {
			n = 1
		}
		pool.jobs = make(chan job, 4*n)
		for range n {
			go worker()
		}
	})
}

func worker() {
	for {
		var j job
		got := false
		for range workerPolls {
			select {
			case j = <-pool.jobs:
				got = true
			default:
			}
			if got {
				break
			}
		}
		if !got {
			j = <-pool.jobs
		}
		j.task.Run(j.lo, j.hi)
		j.g.pending.Add(-1)
	}
}

// For runs t over [0, n), split into at most GOMAXPROCS parts of at least
// minPart indices each, part p covering [n·p/parts, n·(p+1)/parts). The
// calling goroutine runs the first part; For returns when all parts are
// done. g must not be in use by another For at the same time.
func For(g *Group, n, minPart int, t Task) {
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
	g.pending.Store(int32(parts - 1))
	for p := 1; p < parts; p++ {
		pool.jobs <- job{t, n * p / parts, n * (p + 1) / parts, g}
	}
	t.Run(0, n/parts)
	for i := 0; g.pending.Load() != 0; i++ {
		if i%waitPolls == waitPolls-1 {
			runtime.Gosched()
		}
	}
}
