// Package parallel is quamba's process-wide worker pool: range tasks split
// over GOMAXPROCS goroutines without allocating, shared by every engine (the
// FP32 engine, the quantization simulation and the int8 runtime).
package parallel

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Task is work over an index range [lo, hi) whose parts may run
// concurrently. Tasks are usually pointers to structs kept in a per-sequence
// state, so handing one to the pool allocates nothing.
type Task interface {
	Run(lo, hi int)
}

// Group joins the parts of one For. Its zero value is ready; a Group must not
// be used by two For calls at the same time.
type Group struct {
	pending atomic.Int32 // parts handed to workers and not yet done
	wg      sync.WaitGroup
}

// spin bounds how long an idle worker polls for its next part, and how long
// For polls for its parts, before blocking; QUAMBA_SPIN (a Go duration, 0 to
// block at once) overrides it. A decode step hands the pool a part every few
// tens of microseconds. Waking a parked goroutine costs tens of microseconds
// in a virtual machine (the scheduler, a futex, an idle vCPU brought back),
// and once a join waits for a wake-up the next part comes later still, past
// a short bound: decode on 2 threads ran at 0.3x the speed of 1 ms polling
// with a 50 us bound and at 0.55x with blocking alone (mamba-130m W8A8,
// BENCHMARKS.md). The bound keeps an idle pool from holding a core for
// longer than that; on a loaded machine (see preempted) polling stops, and
// with three busy loops beside it on 2 cores decode ran at 0.9x the speed of
// the blocking pool.
var spin atomic.Int64 // nanoseconds

func init() { spin.Store(int64(spinFromEnv())) }

// A worker's state.
const (
	idle     int32 = iota // polling, free
	claimed               // For is writing its part
	ready                 // a part is written
	busy                  // running it
	sleeping              // blocked on wake, free
)

type worker struct {
	state  atomic.Int32
	task   Task
	lo, hi int
	g      *Group
	wake   chan struct{}
	_      [64]byte // keep workers on separate cache lines
}

// pool is the process-wide set of workers, started on first use.
var pool struct {
	once    sync.Once
	workers []*worker
}

func startPool() {
	pool.once.Do(func() {
		n := max(runtime.NumCPU()-1, 1)
		for range n {
			w := &worker{wake: make(chan struct{}, 1)}
			pool.workers = append(pool.workers, w)
			go w.loop()
		}
	})
}

func (w *worker) loop() {
	for {
		if !w.poll() {
			<-w.wake
		}
		w.state.Store(busy)
		t, lo, hi, g := w.task, w.lo, w.hi, w.g
		w.task, w.g = nil, nil
		t.Run(lo, hi)
		w.state.Store(idle)
		g.pending.Add(-1)
		g.wg.Done()
	}
}

// poll waits for a part within the spin bound. It reports false once it has
// marked the worker sleeping: the For that claims it then sends on wake.
func (w *worker) poll() bool {
	var sp spinner
	for {
		if w.state.Load() == ready {
			return true
		}
		if !sp.more() && w.state.CompareAndSwap(idle, sleeping) {
			return false
		}
	}
}

// spinner paces a polling loop: more reports whether to go on polling.
type spinner struct {
	i           int
	start, last int64 // clock() at the first poll and at the last look at the clock
	limit       int64 // a tighter bound than spin, in nanoseconds (0: none)
}

// A gap of preempted between two looks at the clock, which are a few hundred
// nanoseconds apart while polling, means the thread lost its core. Gaps
// recurring (recurN within recur) mean the machine has more runnable
// threads than cores, where a polling thread only takes time from the
// thread it waits for (and forgoes the scheduler's preference for threads
// that sleep): polling then stops everywhere for backoff. A gap now and
// then is the hypervisor taking the vCPU for a moment, which a virtual
// machine does a few times a second, sometimes twice in a row (pure polling
// on both vCPUs of the machine of BENCHMARKS.md: 2-8 gaps of 1-7 ms in 5
// s), and which no waiting strategy avoids.
const (
	preempted = 500 * time.Microsecond
	recur     = 100 * time.Millisecond
	recurN    = 4
	backoff   = 50 * time.Millisecond
)

// minJoinSpin is the least For polls for its parts, however short its own.
const minJoinSpin = 20 * time.Microsecond

// gaps counts the gaps seen since the clock() gapsFrom.
var gaps, gapsFrom atomic.Int64

// sawGap records a gap at t and reports whether gaps recur.
func sawGap(t int64) bool {
	if from := gapsFrom.Load(); t-from > int64(recur) {
		gapsFrom.Store(t)
		gaps.Store(1)
		return false
	}
	return gaps.Add(1) >= recurN
}

// contendedUntil is the clock() before which nothing polls.
var contendedUntil atomic.Int64

var epoch = time.Now()

// clock is the monotonic time in nanoseconds.
func clock() int64 { return int64(time.Since(epoch)) }

func (sp *spinner) more() bool {
	sp.i++
	if sp.i&63 != 1 {
		return true
	}
	t := clock()
	if sp.i == 1 {
		sp.start, sp.last = t, t
		return spin.Load() > 0 && t >= contendedUntil.Load()
	}
	if t-sp.last > int64(preempted) && sawGap(t) {
		contendedUntil.Store(t + int64(backoff))
		return false
	}
	sp.last = t
	if d := t - sp.start; d > spin.Load() || (sp.limit > 0 && d > sp.limit) {
		return false
	}
	if sp.i&1023 == 1 {
		runtime.Gosched() // let any other goroutine have the processor
	}
	return true
}

// claim hands [lo, hi) of t to a free worker, reporting false if every
// worker is busy.
func claim(t Task, lo, hi int, g *Group) bool {
	for _, w := range pool.workers {
		was := w.state.Load()
		if (was != idle && was != sleeping) || !w.state.CompareAndSwap(was, claimed) {
			continue
		}
		w.task, w.lo, w.hi, w.g = t, lo, hi, g
		w.state.Store(ready)
		if was == sleeping {
			w.wake <- struct{}{}
		}
		return true
	}
	return false
}

// For runs t over [0, n), split into at most GOMAXPROCS parts of at least
// minPart indices each, part p covering [n·p/parts, n·(p+1)/parts). The
// calling goroutine runs the first part, and any part no worker is free to
// take (several For calls may run at once); For returns when all parts are
// done.
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
	mine := parts // the caller runs parts [0, mine)
	for p := parts - 1; p >= 1; p-- {
		g.wg.Add(1)
		g.pending.Add(1)
		if !claim(t, n*p/parts, n*(p+1)/parts, g) {
			g.pending.Add(-1)
			g.wg.Done()
			break
		}
		mine = p
	}
	t0 := clock()
	t.Run(0, n*mine/parts)
	// The other parts are as long as the caller's: one that is not done
	// after about as long again waits for a thread without a core.
	own := clock() - t0
	for sp := (spinner{limit: max(own, int64(minJoinSpin))}); g.pending.Load() != 0 && sp.more(); {
	}
	g.wg.Wait()
}

// spinFromEnv reads QUAMBA_SPIN. On a single CPU nothing polls: the thread
// polling would hold the core the other one needs.
func spinFromEnv() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("QUAMBA_SPIN")); err == nil && d >= 0 {
		return d
	}
	if runtime.NumCPU() < 2 {
		return 0
	}
	return time.Millisecond
}
