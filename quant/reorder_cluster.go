package quant

import (
	"fmt"
	"math"
	"sort"

	"github.com/quamba/quamba/cluster"
	"github.com/quamba/quamba/formats"
)

// QuambaGroups is the number of head groups per SSD group and of channel
// groups per head group that Quamba2 uses (x_nhead_group = x_ndim_group = 4).
const QuambaGroups = 4

// maxGroups bounds the group counts SortAndCluster accepts.
const maxGroups = 1 << 16

// kmeansIter bounds the Lloyd iterations of the channel clustering.
const kmeansIter = 100

// SortAndCluster computes the Reorder of one block from a calibration
// statistic of its SSM input x: meanAbs [E] holds, per channel in the
// current (not yet reordered) order, the largest mean |x| over tokens of
// any calibration sequence (quamba.md §4.3). nHeadGroups and nChanGroups
// are the group counts, QuambaGroups each in Quamba2.
//
// Mamba2, per SSD group: each head's P channels are sorted ascending by the
// statistic (stable: ties keep the lower index first) and the sorted profile
// is normalised to unit L2 norm (an all-zero profile stays zero); the heads
// are clustered on those profiles by Ward linkage into nHeadGroups groups
// (fewer heads than groups: each head its own group) and reordered so that
// heads with the same label are contiguous, in label order and then by head
// index. Inside each head group, the P sorted positions are clustered by
// k-means into min(nChanGroups, P) channel groups, position p's feature
// being the normalised values of the group's heads at p, with fixed initial
// centres at positions j·P/n (0, P/4, P/2, 3P/4 for four groups); if the
// labels are not monotone over the positions the groups fall back to equal
// splits (cluster.EqualSplit). Every reordered head holds its channels in
// ascending order of the statistic.
//
// Mamba1 (no heads, and no grouping in Quamba2; this is this package's
// extension): nHeadGroups must be 1. All E channels are sorted ascending by
// the statistic (stable) and cut into min(nChanGroups, E) contiguous groups
// of similar magnitude by one-dimensional k-means on log(meanAbs) with
// initial centres at sorted positions j·E/n (a channel whose statistic is 0
// counts as the smallest positive one, so dead channels join the lowest
// group instead of taking one of their own), falling back to equal splits
// if the labels are not monotone. A group is a contiguous run of
// the sorted channels, one head of E channels in Reorder's terms.
//
// It returns an error naming the problem for a bad configuration, a
// statistic of the wrong length or with a negative, NaN or infinite value,
// and group counts below 1 or absurdly large.
func SortAndCluster(cfg formats.Config, meanAbs []float64, nHeadGroups, nChanGroups int) (*Reorder, error) {
	E := cfg.DInner
	if E <= 0 {
		return nil, fmt.Errorf("quant.SortAndCluster: d_inner %d is not positive", E)
	}
	if len(meanAbs) != E {
		return nil, fmt.Errorf("quant.SortAndCluster: statistic has %d values, want d_inner = %d", len(meanAbs), E)
	}
	for c, v := range meanAbs {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, fmt.Errorf("quant.SortAndCluster: statistic of channel %d is %v, want finite and non-negative", c, v)
		}
	}
	if nHeadGroups < 1 || nHeadGroups > maxGroups {
		return nil, fmt.Errorf("quant.SortAndCluster: %d head groups, want 1 to %d", nHeadGroups, maxGroups)
	}
	if nChanGroups < 1 || nChanGroups > maxGroups {
		return nil, fmt.Errorf("quant.SortAndCluster: %d channel groups, want 1 to %d", nChanGroups, maxGroups)
	}
	switch cfg.Arch {
	case formats.Mamba1:
		if nHeadGroups != 1 {
			return nil, fmt.Errorf("quant.SortAndCluster: a %s model has no heads, want 1 head group, got %d", cfg.Arch, nHeadGroups)
		}
		return sortCluster1(meanAbs, nChanGroups)
	case formats.Mamba2:
		H, G, P := cfg.NHeads, cfg.NGroups, cfg.HeadDim
		if H <= 0 || G <= 0 || P <= 0 || H%G != 0 || H*P != E {
			return nil, fmt.Errorf("quant.SortAndCluster: nheads %d, ngroups %d, headdim %d do not fit d_inner %d", H, G, P, E)
		}
		if H/G > cluster.MaxWardPoints {
			return nil, fmt.Errorf("quant.SortAndCluster: %d heads per SSD group, more than Ward clusters (%d)", H/G, cluster.MaxWardPoints)
		}
		return sortCluster2(meanAbs, H, G, P, nHeadGroups, nChanGroups)
	}
	return nil, fmt.Errorf("quant.SortAndCluster: unknown architecture %q", cfg.Arch)
}

// sortCluster2 is the Mamba2 sort-and-cluster of SortAndCluster.
func sortCluster2(m []float64, H, G, P, nHG, nCG int) (*Reorder, error) {
	heads := H / G
	r := &Reorder{
		Heads:         make([]int, 0, H),
		Channels:      make([]int, 0, H*P),
		HeadGroups:    make([][]int, G),
		ChannelGroups: make([][][]int, G),
	}
	order := make([][]int, H)       // [H][P] old channel offsets of head h, ascending
	profile := make([][]float64, H) // [H][P] unit-norm sorted statistic
	for h := 0; h < H; h++ {
		order[h] = argsortStable(m[h*P : (h+1)*P])
		profile[h] = make([]float64, P)
		var ss float64
		for p, c := range order[h] {
			v := m[h*P+c]
			profile[h][p] = v
			ss += v * v
		}
		if ss > 0 {
			inv := 1 / math.Sqrt(ss)
			for p := range profile[h] {
				profile[h][p] *= inv
			}
		}
	}
	for g := 0; g < G; g++ {
		first := g * heads
		labels, err := cluster.Ward(profile[first:first+heads], nHG)
		if err != nil {
			return nil, fmt.Errorf("quant.SortAndCluster: SSD group %d heads: %w", g, err)
		}
		local := identity(heads)
		sort.SliceStable(local, func(a, b int) bool { return labels[local[a]] < labels[local[b]] })
		var hEnds []int
		for i, h := range local {
			r.Heads = append(r.Heads, first+h)
			if i+1 == heads || labels[local[i+1]] != labels[h] {
				hEnds = append(hEnds, i+1)
			}
		}
		r.HeadGroups[g] = hEnds
		start := 0
		for k, end := range hEnds {
			members := local[start:end]
			points := make([][]float64, P)
			for p := range points {
				points[p] = make([]float64, len(members))
				for i, h := range members {
					points[p][i] = profile[first+h][p]
				}
			}
			ends, err := positionGroups(points, nCG)
			if err != nil {
				return nil, fmt.Errorf("quant.SortAndCluster: SSD group %d head group %d: %w", g, k, err)
			}
			r.ChannelGroups[g] = append(r.ChannelGroups[g], ends)
			start = end
		}
	}
	for _, h := range r.Heads {
		for _, c := range order[h] {
			r.Channels = append(r.Channels, h*P+c)
		}
	}
	return r, nil
}

// sortCluster1 is the Mamba1 channel sort-and-cluster of SortAndCluster.
func sortCluster1(m []float64, nCG int) (*Reorder, error) {
	order := argsortStable(m)
	floor := 1.0 // all zero: every channel alike
	for _, c := range order {
		if m[c] > 0 {
			floor = m[c]
			break
		}
	}
	points := make([][]float64, len(m))
	for p, c := range order {
		points[p] = []float64{math.Log(math.Max(m[c], floor))}
	}
	ends, err := positionGroups(points, nCG)
	if err != nil {
		return nil, fmt.Errorf("quant.SortAndCluster: channels: %w", err)
	}
	return &Reorder{
		Channels:      order,
		HeadGroups:    [][]int{{1}},
		ChannelGroups: [][][]int{{ends}},
	}, nil
}

// positionGroups clusters ordered positions (points[p] is the feature of
// position p) into min(n, len(points)) contiguous groups by k-means with
// initial centres at positions j·len/n, falling back to an equal split when
// the labels are not monotone, and returns the cumulative group ends.
func positionGroups(points [][]float64, n int) ([]int, error) {
	P := len(points)
	n = min(n, P)
	init := make([]int, n)
	for j := range init {
		init[j] = j * P / n
	}
	labels, err := cluster.KMeans(points, init, kmeansIter)
	if err != nil {
		return nil, err
	}
	if ends, ok := cluster.ContiguousGroups(labels); ok {
		return ends, nil
	}
	return cluster.EqualSplit(P, n), nil
}

// argsortStable returns the indices of v in ascending order of value, ties
// in ascending index order.
func argsortStable(v []float64) []int {
	idx := identity(len(v))
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	return idx
}
