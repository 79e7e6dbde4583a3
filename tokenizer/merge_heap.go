package tokenizer

import "container/heap"

// mergeHeap is the merge loop for long words: symbols form a linked list and
// candidate pairs wait in a heap ordered by rank, then by position. An entry
// is stale when either of its symbols has changed since it was pushed.
func (t *BPE) mergeHeap(sym []int32) []int32 {
	n := len(sym)
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := range sym {
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
	}
	next[n-1] = -1
	h := make(pairHeap, 0, n)
	push := func(i int32) {
		j := next[i]
		if j < 0 {
			return
		}
		if m := t.rankOf(sym[i], sym[j]); m.rank != noMerge {
			h = append(h, pairEntry{m.rank, i, sym[i], sym[j], m.id})
			heap.Fix(&h, len(h)-1)
		}
	}
	for i := range n - 1 {
		if m := t.rankOf(sym[i], sym[i+1]); m.rank != noMerge {
			h = append(h, pairEntry{m.rank, int32(i), sym[i], sym[i+1], m.id})
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		e := heap.Pop(&h).(pairEntry)
		i := e.pos
		j := next[i]
		if sym[i] != e.left || j < 0 || sym[j] != e.right {
			continue // stale
		}
		sym[i] = e.id
		sym[j] = -1
		next[i] = next[j]
		if k := next[j]; k >= 0 {
			prev[k] = i
		}
		if p := prev[i]; p >= 0 {
			push(p)
		}
		push(i)
	}
	out := sym[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, sym[i])
	}
	return out
}

type pairEntry struct {
	rank, pos   int32
	left, right int32
	id          int32
}

type pairHeap []pairEntry

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(a, b int) bool {
	if h[a].rank != h[b].rank {
		return h[a].rank < h[b].rank
	}
	return h[a].pos < h[b].pos
}
func (h pairHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairEntry)) }
func (h *pairHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
