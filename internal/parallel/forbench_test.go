package parallel

import "testing"

var sink float64

// spinWork is n dependent multiply-adds: about 1.6 ns each.
func spinWork(n int) float64 {
	s := 1.0
	for range n {
		s = s*1.0000001 + 1e-9
	}
	return s
}

type workTask struct {
	n int
	r [16]float64
}

func (t *workTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		t.r[(i&1)*8] += spinWork(t.n)
	}
}

// BenchmarkForGap is the shape of a decode step: some serial work, then a
// For of two parts as long, again and again. On 2 threads it should take
// about 2/3 of the time on 1 (-cpu 1,2); waking a parked worker for every
// part makes it slower than 1 thread.
func BenchmarkForGap(b *testing.B) {
	var g Group
	t := &workTask{n: 5000}
	for b.Loop() {
		sink += spinWork(5000)
		For(&g, 2, 1, t)
	}
}
