package cluster

import (
	"fmt"
	"math"
)

// MaxWardPoints is the largest number of points Ward accepts; the naive
// algorithm costs O(n³) time and O(n²) memory.
const MaxWardPoints = 1024

// Ward clusters points (n points of equal dimension) into k clusters by
// agglomerative clustering with Ward linkage on Euclidean distance, the
// partition of sklearn's AgglomerativeClustering(n_clusters=k,
// linkage="ward"): starting from singletons it repeatedly merges the two
// clusters a, b whose merge least increases the total within-cluster sum of
// squares, n_a·n_b/(n_a+n_b)·‖c_a−c_b‖², until k clusters remain.
//
// The distances kept are the squared scipy/sklearn Ward distances
// d²(a, b) = 2·n_a·n_b/(n_a+n_b)·‖c_a−c_b‖² (twice that increase; for
// singletons the squared Euclidean distance), updated after merging a and b
// by the Lance–Williams formula
//
//	d²(ab, c) = ((n_a+n_c)·d²(a, c) + (n_b+n_c)·d²(b, c) − n_c·d²(a, b)) / (n_a+n_b+n_c);
//
// minimising d² is the same as minimising the unsquared distance. A cluster
// is identified by its lowest-index member; ties between candidate merges
// go to the lexicographically lowest pair of those indices.
//
// The labels are canonical: clusters are numbered 0, 1, … in the order of
// their lowest-index members, so labels[0] = 0. If len(points) ≤ k, every
// point is its own cluster (labels 0..n-1). It returns an error for k ≤ 0,
// no points, more than MaxWardPoints points, ragged or zero dimensions, and
// NaN or infinite coordinates or distances.
func Ward(points [][]float64, k int) ([]int, error) {
	if k <= 0 {
		return nil, fmt.Errorf("cluster.Ward: k = %d clusters, want at least 1", k)
	}
	n := len(points)
	if n > MaxWardPoints {
		return nil, fmt.Errorf("cluster.Ward: %d points, more than MaxWardPoints = %d", n, MaxWardPoints)
	}
	if _, err := checkPoints("Ward", points); err != nil {
		return nil, err
	}
	if n <= k {
		labels := make([]int, n)
		for i := range labels {
			labels[i] = i
		}
		return labels, nil
	}

	d2 := make([]float64, n*n) // [n, n], symmetric: d2[i*n+j] = d²(cluster i, cluster j)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var s float64
			for c, v := range points[i] {
				diff := v - points[j][c]
				s += diff * diff
			}
			if math.IsInf(s, 0) {
				return nil, fmt.Errorf("cluster.Ward: the squared distance of points %d and %d overflows", i, j)
			}
			d2[i*n+j], d2[j*n+i] = s, s
		}
	}
	size := make([]float64, n) // members of the cluster whose lowest member is i
	owner := make([]int, n)    // lowest member of the cluster holding point p
	active := make([]bool, n)  // cluster i exists
	for i := range size {
		size[i], owner[i], active[i] = 1, i, true
	}
	for clusters := n; clusters > k; clusters-- {
		a, b, best := -1, -1, math.Inf(1)
		for i := 0; i < n; i++ {
			if !active[i] {
				continue
			}
			for j := i + 1; j < n; j++ {
				if active[j] && (a < 0 || d2[i*n+j] < best) {
					a, b, best = i, j, d2[i*n+j]
				}
			}
		}
		na, nb := size[a], size[b]
		for c := 0; c < n; c++ {
			if !active[c] || c == a || c == b {
				continue
			}
			nc := size[c]
			v := ((na+nc)*d2[a*n+c] + (nb+nc)*d2[b*n+c] - nc*best) / (na + nb + nc)
			d2[a*n+c], d2[c*n+a] = v, v
		}
		size[a] += nb
		active[b] = false
		for p := range owner {
			if owner[p] == b {
				owner[p] = a
			}
		}
	}
	return canonical(owner), nil
}

// canonical renumbers cluster identifiers 0, 1, … in order of first
// appearance.
func canonical(ids []int) []int {
	next := map[int]int{}
	labels := make([]int, len(ids))
	for p, id := range ids {
		l, ok := next[id]
		if !ok {
			l = len(next)
			next[id] = l
		}
		labels[p] = l
	}
	return labels
}

// checkPoints validates a non-empty set of finite points of one positive
// dimension, which it returns.
func checkPoints(fn string, points [][]float64) (int, error) {
	if len(points) == 0 {
		return 0, fmt.Errorf("cluster.%s: no points", fn)
	}
	dim := len(points[0])
	if dim == 0 {
		return 0, fmt.Errorf("cluster.%s: point 0 has no coordinates", fn)
	}
	for i, p := range points {
		if len(p) != dim {
			return 0, fmt.Errorf("cluster.%s: point %d has %d coordinates, point 0 has %d", fn, i, len(p), dim)
		}
		for c, v := range p {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("cluster.%s: point %d coordinate %d is %v", fn, i, c, v)
			}
		}
	}
	return dim, nil
}
