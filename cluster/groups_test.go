package cluster_test

import (
	"reflect"
	"testing"

	"github.com/quamba/quamba/cluster"
)

func TestContiguousGroups(t *testing.T) {
	cases := []struct {
		labels []int
		ends   []int
		ok     bool
	}{
		{[]int{0, 0, 1, 1, 1, 2, 3, 3}, []int{2, 5, 6, 8}, true},
		{[]int{0, 0, 2, 2}, []int{2, 4}, true}, // label 1 absent: no group
		{[]int{3}, []int{1}, true},
		{[]int{}, []int{}, true},
		{[]int{0, 1, 0}, nil, false},
		{[]int{1, 0}, nil, false},
		{[]int{0, 0, 1, 1, 0}, nil, false},
	}
	for _, c := range cases {
		ends, ok := cluster.ContiguousGroups(c.labels)
		if ok != c.ok || !reflect.DeepEqual(ends, c.ends) {
			t.Errorf("ContiguousGroups(%v) = %v, %v; want %v, %v", c.labels, ends, ok, c.ends, c.ok)
		}
	}
}

func TestEqualSplit(t *testing.T) {
	cases := []struct {
		n, k int
		want []int
	}{
		{64, 4, []int{16, 32, 48, 64}},
		{10, 3, []int{4, 7, 10}},
		{24, 4, []int{6, 12, 18, 24}},
		{2, 4, []int{1, 2}},
		{1, 1, []int{1}},
		{0, 4, nil},
		{5, 0, nil},
		{-1, 3, nil},
	}
	for _, c := range cases {
		if got := cluster.EqualSplit(c.n, c.k); !reflect.DeepEqual(got, c.want) {
			t.Errorf("EqualSplit(%d, %d) = %v, want %v", c.n, c.k, got, c.want)
		}
	}
	for n := 1; n <= 70; n++ {
		for k := 1; k <= 9; k++ {
			ends := cluster.EqualSplit(n, k)
			if len(ends) != min(n, k) || ends[len(ends)-1] != n {
				t.Fatalf("EqualSplit(%d, %d) = %v", n, k, ends)
			}
			lo, hi, prev := n, 0, 0
			for _, e := range ends {
				size := e - prev
				lo, hi, prev = min(lo, size), max(hi, size), e
			}
			if lo < 1 || hi-lo > 1 {
				t.Fatalf("EqualSplit(%d, %d) = %v: sizes from %d to %d", n, k, ends, lo, hi)
			}
		}
	}
}
