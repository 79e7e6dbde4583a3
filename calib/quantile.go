package calib

import "math"

// heapLimit bounds the number of largest values a quantileAcc keeps in a heap;
// above it the accumulator keeps every value and selects.
const heapLimit = 4096

const signBit = 1 << 31

// quantileAcc computes the exact alpha-quantile of |x| over a known number of
// values, seen in pieces. |x| is held as its float32 bits, whose unsigned
// order is the order of the values. When the quantile only needs the k <=
// heapLimit largest values (alpha close to 1), they are kept in a min-heap;
// otherwise every value is kept and the order statistics are selected.
type quantileAcc struct {
	alpha float64
	n     int     // values expected
	lo    int     // lower order-statistic index
	frac  float64 // interpolation fraction
	k     int     // values the heap keeps: n - lo
	heap  []uint32
	buf   []uint32
}

func (q *quantileAcc) begin(n int) {
	q.n = n
	q.lo, q.frac = quantileIndex(q.alpha, n)
	q.k = n - q.lo
	q.heap, q.buf = q.heap[:0], q.buf[:0]
	if q.k <= heapLimit {
		if cap(q.heap) < q.k {
			q.heap = make([]uint32, 0, q.k)
		}
	} else if cap(q.buf) < n {
		q.buf = make([]uint32, 0, n)
	}
}

func (q *quantileAcc) add(data []float32) {
	if q.k > heapLimit {
		for _, v := range data {
			q.buf = append(q.buf, math.Float32bits(v)&^signBit)
		}
		return
	}
	h, k := q.heap, q.k
	for _, v := range data {
		b := math.Float32bits(v) &^ signBit
		if len(h) < k {
			h = append(h, b)
			heapUp(h, len(h)-1)
		} else if b > h[0] {
			h[0] = b
			heapDown(h, 0)
		}
	}
	q.heap = h
}

// quantile returns the quantile of the values added since begin; their
// count must be n.
func (q *quantileAcc) quantile() float64 {
	var a, b uint32
	if q.k <= heapLimit {
		// The heap holds the k largest values: its minimum is the order
		// statistic lo, the smaller of the root's children is lo+1.
		h := q.heap
		a, b = h[0], h[0]
		if len(h) > 1 {
			b = h[1]
			if len(h) > 2 && h[2] < b {
				b = h[2]
			}
		}
	} else {
		a = selectKth(q.buf, q.lo)
		b = a
		if q.lo+1 < len(q.buf) {
			b = q.buf[q.lo+1]
			for _, v := range q.buf[q.lo+2:] {
				b = min(b, v)
			}
		}
	}
	fa, fb := float64(math.Float32frombits(a)), float64(math.Float32frombits(b))
	return fa + (fb-fa)*q.frac
}

func heapUp(h []uint32, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func heapDown(h []uint32, i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && h[r] < h[l] {
			c = r
		}
		if h[i] <= h[c] {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// selectKth reorders v so that v[k] is its k-th smallest value (0-based),
// everything before it is <= and everything after it >=, and returns v[k].
// Quickselect with a median-of-three pivot and three-way partitioning (so
// runs of equal values cost linear time).
func selectKth(v []uint32, k int) uint32 {
	lo, hi := 0, len(v) // the answer lies in v[lo:hi]
	for hi-lo > 1 {
		m := lo + (hi-lo)/2
		a, b, c := v[lo], v[m], v[hi-1]
		p := max(min(a, b), min(max(a, b), c))
		// Three-way partition: [lo, lt) < p, [lt, i) == p, (gt, hi) > p.
		lt, i, gt := lo, lo, hi-1
		for i <= gt {
			switch {
			case v[i] < p:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case v[i] > p:
				v[i], v[gt] = v[gt], v[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k > gt:
			lo = gt + 1
		default:
			return p
		}
	}
	return v[k]
}
