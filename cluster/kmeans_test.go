package cluster_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/quamba/quamba/cluster"
)

func line(vs ...float64) [][]float64 {
	p := make([][]float64, len(vs))
	for i, v := range vs {
		p[i] = []float64{v}
	}
	return p
}

func TestKMeansObvious(t *testing.T) {
	// Four blobs along a line; init at 0, 3, 6, 9 lands in blob 0, 1, 2, 2:
	// the third and fourth centres must split blob 2 and blob 3.
	points := line(0, 0.1, 0.2, 5, 5.1, 5.2, 10, 10.1, 10.2, 20, 20.1, 20.2)
	got, err := cluster.KMeans(points, []int{0, 3, 6, 9}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Init 0, 1, 2, 3: centres start in blob 0 and must walk out.
	// Iteration 1: labels 0,1,2,3,3,… (points ≥ 0.3 go to centre 3 = 5);
	// the centres then drift right until the blobs separate.
	got, err = cluster.KMeans(points, []int{0, 1, 2, 3}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cluster.ContiguousGroups(got); !ok {
		t.Fatalf("1-D k-means labels from increasing init are not monotone: %v", got)
	}
	checkFixedPoint(t, points, got, 4)
	// maxIter = 1 is the first assignment to the initial points.
	got, err = cluster.KMeans(points, []int{0, 1, 2, 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("maxIter 1: got %v, want %v", got, want)
	}
}

// checkFixedPoint verifies the converged state independently: with centres
// the means of the labels' points (a centre without points cannot be
// checked and is skipped), every point's label is its nearest centre, ties
// to the lowest index.
func checkFixedPoint(t *testing.T, points [][]float64, labels []int, k int) {
	t.Helper()
	dim := len(points[0])
	centres := make([][]float64, k)
	counts := make([]int, k)
	for i, p := range points {
		l := labels[i]
		if centres[l] == nil {
			centres[l] = make([]float64, dim)
		}
		counts[l]++
		for j, v := range p {
			centres[l][j] += v
		}
	}
	for l := range centres {
		for j := range centres[l] {
			centres[l][j] /= float64(counts[l])
		}
	}
	for i, p := range points {
		best, bestD := -1, math.Inf(1)
		for l, c := range centres {
			if c == nil {
				continue
			}
			var d float64
			for j, v := range p {
				d += (v - c[j]) * (v - c[j])
			}
			if d < bestD {
				best, bestD = l, d
			}
		}
		if best != labels[i] {
			t.Fatalf("point %d has label %d, but its nearest centre is %d", i, labels[i], best)
		}
	}
}

// The Quamba2 shape: 64 sorted positions, features = the unit-norm sorted
// profiles of a few heads, init 0, 16, 32, 48.
func TestKMeansSortedProfiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := 0; trial < 20; trial++ {
		heads := 1 + rng.IntN(8)
		points := make([][]float64, 64)
		for i := range points {
			points[i] = make([]float64, heads)
		}
		for h := 0; h < heads; h++ {
			col := make([]float64, 64)
			for i := range col {
				col[i] = math.Exp(2 * rng.NormFloat64())
			}
			sort.Float64s(col)
			var norm float64
			for _, v := range col {
				norm += v * v
			}
			for i, v := range col {
				points[i][h] = v / math.Sqrt(norm)
			}
		}
		init := []int{0, 16, 32, 48}
		a, err := cluster.KMeans(points, init, 300)
		if err != nil {
			t.Fatal(err)
		}
		b, err := cluster.KMeans(points, init, 300)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("trial %d: two runs differ:\n%v\n%v", trial, a, b)
		}
		checkFixedPoint(t, points, a, 4)
		if heads == 1 {
			if _, ok := cluster.ContiguousGroups(a); !ok {
				t.Fatalf("trial %d: 1-D labels not monotone: %v", trial, a)
			}
		}
	}
}

func TestKMeansEmptyClusterKeepsCentre(t *testing.T) {
	// Points 0 and 1 coincide, so centre 1 (= point 1) ties with centre 0
	// for both and stays empty at 0; point 2 keeps centre 2.
	got, err := cluster.KMeans(line(0, 0, 5, 5.5), []int{0, 1, 2}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 0, 2, 2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// A tie between two distinct centres goes to the lower index: 1 is
	// equidistant from 0 and 2.
	got, err = cluster.KMeans(line(0, 1, 2), []int{2, 0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 0, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tie: got %v, want %v", got, want)
	}
}

func TestKMeansErrors(t *testing.T) {
	good := line(0, 1, 2)
	cases := []struct {
		points  [][]float64
		init    []int
		maxIter int
		want    string
	}{
		{nil, []int{0}, 10, "no points"},
		{good, nil, 10, "no initial centres"},
		{good, []int{0, 3}, 10, "init[1] = 3"},
		{good, []int{-1}, 10, "init[0] = -1"},
		{good, []int{1, 2, 1}, 10, "repeated"},
		{good, []int{0}, 0, "maxIter = 0"},
		{pts([]float64{0}, []float64{1, 2}), []int{0}, 10, "point 1 has 2 coordinates"},
		{line(0, math.NaN()), []int{0}, 10, "NaN"},
		{line(math.Inf(-1), 0), []int{0}, 10, "-Inf"},
	}
	for _, c := range cases {
		_, err := cluster.KMeans(c.points, c.init, c.maxIter)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "cluster.KMeans: ") {
			t.Errorf("KMeans(%v, %v, %d) = %v, want an error containing %q", c.points, c.init, c.maxIter, err, c.want)
		}
	}
}
