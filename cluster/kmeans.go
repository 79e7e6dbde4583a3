package cluster

import (
	"fmt"
	"math"
)

// KMeans clusters points (n points of equal dimension) by Lloyd's k-means
// with the fixed initial centres points[init[0]], points[init[1]], …; label
// l of the result is the cluster grown from centre init[l]. Quamba2 calls
// it on the 64 sorted channel positions of a head group (each position's
// feature vector holds that position's normalised value in every head of
// the group) with init = {0, 16, 32, 48}.
//
// Each iteration assigns every point to its nearest centre by squared
// Euclidean distance, ties going to the lowest centre index, then moves
// every centre to the mean of its points; a centre left without points
// keeps its place. It stops when an assignment leaves the labels unchanged
// or after maxIter assignments, and returns the last assignment. The result
// is fully deterministic.
//
// It returns an error for no points, ragged or zero dimensions, NaN or
// infinite coordinates, an empty init, an init index out of range or
// repeated, and maxIter < 1.
func KMeans(points [][]float64, init []int, maxIter int) ([]int, error) {
	dim, err := checkPoints("KMeans", points)
	if err != nil {
		return nil, err
	}
	n, k := len(points), len(init)
	if k == 0 {
		return nil, fmt.Errorf("cluster.KMeans: no initial centres")
	}
	if maxIter < 1 {
		return nil, fmt.Errorf("cluster.KMeans: maxIter = %d, want at least 1", maxIter)
	}
	centres := make([]float64, k*dim) // [k, dim]
	seen := make(map[int]int, k)
	for l, p := range init {
		if p < 0 || p >= n {
			return nil, fmt.Errorf("cluster.KMeans: init[%d] = %d is not a point index in [0, %d)", l, p, n)
		}
		if prev, ok := seen[p]; ok {
			return nil, fmt.Errorf("cluster.KMeans: init[%d] = init[%d] = %d: repeated centre", prev, l, p)
		}
		seen[p] = l
		copy(centres[l*dim:], points[p])
	}

	labels := make([]int, n)
	sums := make([]float64, k*dim) // [k, dim]
	counts := make([]int, k)
	for iter := 0; iter < maxIter; iter++ {
		changed := false
		for i, p := range points {
			best, bestD := 0, math.Inf(1)
			for l := 0; l < k; l++ {
				c := centres[l*dim : (l+1)*dim]
				var d float64
				for j, v := range p {
					diff := v - c[j]
					d += diff * diff
				}
				if d < bestD {
					best, bestD = l, d
				}
			}
			if iter == 0 || labels[i] != best {
				changed = true
			}
			labels[i] = best
		}
		if !changed || iter == maxIter-1 {
			break
		}
		clear(sums)
		clear(counts)
		for i, p := range points {
			l := labels[i]
			counts[l]++
			for j, v := range p {
				sums[l*dim+j] += v
			}
		}
		for l := 0; l < k; l++ {
			if counts[l] == 0 {
				continue
			}
			for j := 0; j < dim; j++ {
				centres[l*dim+j] = sums[l*dim+j] / float64(counts[l])
			}
		}
	}
	return labels, nil
}
