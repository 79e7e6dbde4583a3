package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type countTask struct {
	hits  []atomic.Int32
	parts atomic.Int32
}

func (c *countTask) Run(lo, hi int) {
	c.parts.Add(1)
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

// TestFor: every index is run exactly once, in at most GOMAXPROCS parts of
// at least minPart indices, whatever GOMAXPROCS is.
func TestFor(t *testing.T) {
	for _, procs := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		for _, tc := range []struct{ n, minPart int }{{0, 1}, {1, 1}, {7, 1}, {100, 30}, {100, 1}, {5, 10}} {
			var g Group
			c := &countTask{hits: make([]atomic.Int32, tc.n)}
			For(&g, tc.n, tc.minPart, c)
			for i := range c.hits {
				if h := c.hits[i].Load(); h != 1 {
					t.Fatalf("GOMAXPROCS %d, n %d: index %d run %d times", procs, tc.n, i, h)
				}
			}
			if p := int(c.parts.Load()); p > procs || (tc.n >= tc.minPart && p > tc.n/tc.minPart && p > 1) {
				t.Errorf("GOMAXPROCS %d, n %d, minPart %d: %d parts", procs, tc.n, tc.minPart, p)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// TestForConcurrent: For calls from several goroutines at once (sessions
// stepped in parallel) each run every index once, whether a worker takes a
// part or the caller runs it itself, with polling and without.
func TestForConcurrent(t *testing.T) {
	defer spin.Store(spin.Load())
	for _, s := range []time.Duration{time.Duration(spin.Load()), 0} {
		spin.Store(int64(s))
		for _, procs := range []int{2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var g Group
					for it := range 200 {
						n := 1 + it%37
						c := &countTask{hits: make([]atomic.Int32, n)}
						For(&g, n, 1, c)
						for i := range c.hits {
							if h := c.hits[i].Load(); h != 1 {
								t.Errorf("spin %v, GOMAXPROCS %d, n %d: index %d run %d times", s, procs, n, i, h)
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			runtime.GOMAXPROCS(prev)
		}
	}
}

// TestSawGap: isolated gaps (a hypervisor's moment) never stop polling;
// recurN gaps within recur do.
func TestSawGap(t *testing.T) {
	defer gapsFrom.Store(gapsFrom.Load())
	defer gaps.Store(gaps.Load())
	gapsFrom.Store(0)
	gaps.Store(0)
	ms := int64(time.Millisecond)
	t0 := int64(time.Hour)
	for i := range 10 { // one gap every 150 ms
		if sawGap(t0 + int64(i)*150*ms) {
			t.Fatalf("gap %d, 150 ms after the last: polling stopped", i)
		}
	}
	t0 += int64(time.Hour)
	for i := range recurN { // every 5 ms
		if got, want := sawGap(t0+int64(i)*5*ms), i == recurN-1; got != want {
			t.Fatalf("gap %d of a burst every 5 ms: sawGap = %v, want %v", i, got, want)
		}
	}
}
