package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
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
			var wg sync.WaitGroup
			c := &countTask{hits: make([]atomic.Int32, tc.n)}
			For(&wg, tc.n, tc.minPart, c)
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
