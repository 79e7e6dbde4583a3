package cluster_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/quamba/quamba/cluster"
)

// sse is the within-cluster sum of squares of the points with the given
// indices, from its centroid computed from scratch.
func sse(points [][]float64, members []int) float64 {
	dim := len(points[0])
	c := make([]float64, dim)
	for _, m := range members {
		for j, v := range points[m] {
			c[j] += v
		}
	}
	for j := range c {
		c[j] /= float64(len(members))
	}
	var s float64
	for _, m := range members {
		for j, v := range points[m] {
			s += (v - c[j]) * (v - c[j])
		}
	}
	return s
}

// bruteWard is the textbook greedy definition of Ward clustering: at every
// step merge the pair of clusters whose union increases the total
// within-cluster sum of squares the least (recomputed from the members),
// ties to the pair listed first when clusters are kept in order of their
// lowest member. It reports nearTie if some step's best and second-best
// increases are too close to decide in floating point.
func bruteWard(points [][]float64, k int) (labels []int, nearTie bool) {
	clusters := make([][]int, len(points)) // each sorted; clusters ordered by first member
	for i := range clusters {
		clusters[i] = []int{i}
	}
	for len(clusters) > k {
		a, b := -1, -1
		best, second := math.Inf(1), math.Inf(1)
		for i := range clusters {
			for j := i + 1; j < len(clusters); j++ {
				union := append(append([]int(nil), clusters[i]...), clusters[j]...)
				inc := sse(points, union) - sse(points, clusters[i]) - sse(points, clusters[j])
				if inc < best {
					second = best
					a, b, best = i, j, inc
				} else if inc < second {
					second = inc
				}
			}
		}
		if second-best <= 1e-9*math.Max(1, math.Abs(best)) {
			nearTie = true
		}
		merged := append(append([]int(nil), clusters[a]...), clusters[b]...)
		clusters[a] = merged // keeps its lowest member, so the order holds
		clusters = append(clusters[:b], clusters[b+1:]...)
	}
	labels = make([]int, len(points))
	for l, c := range clusters { // already in order of lowest member
		for _, m := range c {
			labels[m] = l
		}
	}
	return labels, nearTie
}

func randPoints(rng *rand.Rand, n, dim int) [][]float64 {
	p := make([][]float64, n)
	for i := range p {
		p[i] = make([]float64, dim)
		for j := range p[i] {
			p[i][j] = rng.NormFloat64()
		}
	}
	return p
}

func TestWardMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	checked := 0
	for trial := 0; trial < 200; trial++ {
		n := 2 + rng.IntN(30)
		dim := []int{1, 2, 3, 8, 64}[rng.IntN(5)]
		k := 1 + rng.IntN(6)
		points := randPoints(rng, n, dim)
		if trial%3 == 0 { // a few blobs, more like head profiles
			for i := range points {
				for j := range points[i] {
					points[i][j] = 0.1*points[i][j] + float64(i%4)
				}
			}
		}
		want, nearTie := bruteWard(points, k)
		if nearTie {
			continue
		}
		got, err := cluster.Ward(points, k)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (n=%d, dim=%d, k=%d):\n got %v\nwant %v", trial, n, dim, k, got, want)
		}
		checked++
	}
	if checked < 150 {
		t.Fatalf("only %d of 200 random cases were decidable", checked)
	}
}

// The Quamba2 shape: 24 heads, unit-norm sorted 64-value profiles, 4 groups.
func TestWardHeadProfiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	points := make([][]float64, 24)
	for h := range points {
		p := make([]float64, 64)
		scale := 1 + float64(h%3)*3
		for j := range p {
			p[j] = math.Abs(rng.NormFloat64()) * scale
			if j > 60 {
				p[j] *= 1 + float64(h%5)
			}
		}
		// sort ascending and normalise
		for i := 1; i < len(p); i++ {
			for j := i; j > 0 && p[j] < p[j-1]; j-- {
				p[j], p[j-1] = p[j-1], p[j]
			}
		}
		var norm float64
		for _, v := range p {
			norm += v * v
		}
		for j := range p {
			p[j] /= math.Sqrt(norm)
		}
		points[h] = p
	}
	want, nearTie := bruteWard(points, 4)
	if nearTie {
		t.Fatal("test data has a near tie")
	}
	got, err := cluster.Ward(points, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func pts(vs ...[]float64) [][]float64 { return vs }

func TestWardByHand(t *testing.T) {
	cases := []struct {
		name   string
		points [][]float64
		k      int
		want   []int
	}{
		// Two obvious blobs, interleaved in index order.
		{"blobs", pts([]float64{10, 10}, []float64{0, 0}, []float64{10.1, 9.9}, []float64{0.2, -0.1}, []float64{9.8, 10}, []float64{0, 0.3}), 2,
			[]int{0, 1, 0, 1, 0, 1}},
		// 0,1,2,3: the three unit gaps tie, (0,1) merges first; then
		// d²({0,1},2) = 2·2·1/3·1.5² = 3 > d²(2,3) = 1.
		{"line k=3", pts([]float64{0}, []float64{1}, []float64{2}, []float64{3}), 3, []int{0, 0, 1, 2}},
		{"line k=2", pts([]float64{0}, []float64{1}, []float64{2}, []float64{3}), 2, []int{0, 0, 1, 1}},
		// Unit square: four edges tie, (0,1) first; then d²({0,1},2) =
		// d²({0,1},3) = 5/3 > d²(2,3) = 1.
		{"square", pts([]float64{0, 0}, []float64{1, 0}, []float64{0, 1}, []float64{1, 1}), 2, []int{0, 0, 1, 1}},
		// All equal: every distance ties, so (0,1), then ({0,1},2).
		{"equal", pts([]float64{5}, []float64{5}, []float64{5}, []float64{5}), 2, []int{0, 0, 0, 1}},
		{"k=1", pts([]float64{5}, []float64{-1}, []float64{7}), 1, []int{0, 0, 0}},
		// n ≤ k: every point alone.
		{"n=k", pts([]float64{1}, []float64{1}, []float64{2}), 3, []int{0, 1, 2}},
		{"n<k", pts([]float64{1}, []float64{1}), 4, []int{0, 1}},
		{"one", pts([]float64{3, 4}), 1, []int{0}},
	}
	for _, c := range cases {
		got, err := cluster.Ward(c.points, c.k)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestWardErrors(t *testing.T) {
	good := pts([]float64{0}, []float64{1})
	cases := []struct {
		points [][]float64
		k      int
		want   string
	}{
		{good, 0, "k = 0"},
		{good, -3, "k = -3"},
		{nil, 2, "no points"},
		{pts([]float64{}, []float64{}), 1, "no coordinates"},
		{pts([]float64{0, 1}, []float64{1}), 1, "point 1 has 1 coordinates"},
		{pts([]float64{0}, []float64{math.NaN()}), 1, "point 1 coordinate 0 is NaN"},
		{pts([]float64{math.Inf(1)}, []float64{0}), 1, "+Inf"},
		{pts([]float64{1e300}, []float64{-1e300}), 1, "overflows"},
		{make([][]float64, cluster.MaxWardPoints+1), 4, "MaxWardPoints"},
	}
	for _, c := range cases {
		_, err := cluster.Ward(c.points, c.k)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "cluster.Ward: ") {
			t.Errorf("Ward(%d points, k=%d) = %v, want an error containing %q", len(c.points), c.k, err, c.want)
		}
	}
}
