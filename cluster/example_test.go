package cluster_test

import (
	"fmt"

	"github.com/quamba/quamba/cluster"
)

// Three heads near (1, 0) and two near (0, 1) form two clusters, numbered
// in the order of their first member.
func ExampleWard() {
	heads := [][]float64{{0.1, 1}, {1, 0}, {0.9, 0.1}, {0, 0.9}, {1, 0.2}}
	labels, err := cluster.Ward(heads, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(labels)
	// Output: [0 1 1 0 1]
}

// Sorted channel magnitudes fall into runs; k-means started from the first
// position of each quarter finds them, and the monotone labels give the
// group boundaries.
func ExampleKMeans() {
	sorted := [][]float64{{0.1}, {0.1}, {0.2}, {0.2}, {0.3}, {0.3}, {1}, {1.1}, {4}, {5}, {9}, {9}}
	labels, err := cluster.KMeans(sorted, []int{0, 3, 6, 9}, 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	ends, ok := cluster.ContiguousGroups(labels)
	fmt.Println(labels, ends, ok)
	// Output: [0 0 1 1 1 1 2 2 3 3 3 3] [2 6 8 12] true
}
