package quant

import (
	"fmt"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// Reorder is a function-preserving permutation of one block's SSM channels
// (quamba.md §4.4) together with the groups that share one int8 scale of
// the SSM input x after it is applied (§4.3). Permutations gather: after
// ApplyReorder, new head h is old head Heads[h] and new channel c is old
// channel Channels[c].
//
// Mamba2 (H = nheads, P = headdim, G = ngroups, H/G heads per SSD group):
// Heads [H] moves heads only inside their SSD group; Channels [E] keeps every
// head's channels inside it, so channels [h·P, (h+1)·P) come from old head
// Heads[h]. HeadGroups[g] [hg_g] are the cumulative end offsets, in heads
// counted from the start of SSD group g, of its contiguous head groups (the
// last is H/G); ChannelGroups[g][k] [cg_gk] are the cumulative end offsets,
// in positions 0..P inside a head, of the channel groups that every head of
// head group k of SSD group g shares (the last is P).
//
// Mamba1 has no heads: Heads is nil, and the whole of E counts as one SSD
// group holding one head of E channels, so HeadGroups = [[1]] and
// ChannelGroups = [[[ends over E]]]. Any permutation of Mamba1's channels
// preserves the function, since they are independent until out_proj.
//
// A nil Heads or Channels means the identity. Nil HeadGroups and
// ChannelGroups mean a single group (one scale per layer); they are only
// read by ScaleIndex.
type Reorder struct {
	Heads         []int     // Mamba2 [H]; nil for Mamba1
	Channels      []int     // [E]
	HeadGroups    [][]int   // [G][hg_g] cumulative head ends inside each SSD group
	ChannelGroups [][][]int // [G][hg_g][cg_gk] cumulative position ends inside a head
}

// ApplyReorder permutes the tensors of block layer by r (quamba.md §4.4).
//
// Mamba2: in_proj rows z [0, E) and x [E, 2E) by Channels, B and C rows
// untouched, dt rows [2E+2GN, 2E+2GN+H) by Heads; conv1d weight and bias x
// channels by Channels; A_log, D and dt_bias by Heads; the gated norm weight
// by Channels; out_proj input columns by Channels. Heads stay in their SSD
// group (so every head keeps its B/C group) and channels in their head and
// so in their gated-norm group (the norm's statistics are sums over the
// group), which is why the function is unchanged.
//
// Mamba1: every tensor with one entry per channel of E is permuted by
// Channels the same way: in_proj x and z rows, conv1d weight and bias rows,
// x_proj input columns, dt_proj rows and dt_proj bias, A_log rows, D and
// out_proj input columns.
//
// It validates r first (Check) and refuses weights whose out_proj already
// has the d_inner Hadamard fused (the online transform would mix the
// permuted channels): reorder before FuseOutHadamard.
func ApplyReorder(w *model.Weights, layer int, r *Reorder) error {
	if err := checkWeights("ApplyReorder", w); err != nil {
		return err
	}
	cfg := w.Config
	if layer < 0 || layer >= cfg.NLayer {
		return fmt.Errorf("quant.ApplyReorder: layer %d is not in [0, %d)", layer, cfg.NLayer)
	}
	if r == nil {
		return fmt.Errorf("quant.ApplyReorder: layer %d: nil reorder", layer)
	}
	if w.OutProjHadamard {
		return fmt.Errorf("quant.ApplyReorder: out_proj already has the d_inner Hadamard fused (OutProjHadamard): reorder before FuseOutHadamard")
	}
	if err := r.Check(cfg); err != nil {
		return fmt.Errorf("quant.ApplyReorder: layer %d: %w", layer, err)
	}
	ch := r.Channels
	if ch == nil {
		ch = identity(cfg.DInner)
	}
	D, E, N, K := cfg.DModel, cfg.DInner, cfg.DState, cfg.DConv
	l := &w.Layers[layer]
	if cfg.Arch == formats.Mamba1 {
		R := cfg.DtRank
		permuteRows(l.InProj[:E*D], ch, D)
		permuteRows(l.InProj[E*D:2*E*D], ch, D)
		permuteRows(l.ConvWeight, ch, K)
		permuteRows(l.ConvBias, ch, 1)
		permuteCols(l.XProj, R+2*N, E, ch)
		permuteRows(l.DtProj, ch, R)
		permuteRows(l.DtBias, ch, 1)
		permuteRows(l.ALog, ch, N)
		permuteRows(l.D, ch, 1)
		permuteCols(l.OutProj, D, E, ch)
		return nil
	}
	H, G := cfg.NHeads, cfg.NGroups
	hd := r.Heads
	if hd == nil {
		hd = identity(H)
	}
	dt0 := 2*E + 2*G*N
	permuteRows(l.InProj[:E*D], ch, D)
	permuteRows(l.InProj[E*D:2*E*D], ch, D)
	permuteRows(l.InProj[dt0*D:(dt0+H)*D], hd, D)
	permuteRows(l.ConvWeight[:E*K], ch, K)
	permuteRows(l.ConvBias[:E], ch, 1)
	permuteRows(l.ALog, hd, 1)
	permuteRows(l.D, hd, 1)
	permuteRows(l.DtBias, hd, 1)
	permuteRows(l.GatedNorm, ch, 1)
	permuteCols(l.OutProj, D, E, ch)
	return nil
}

// Check validates r against a configuration: Channels a permutation of
// [0, E) and, for Mamba2, Heads a permutation of [0, H) that keeps every head
// in its SSD group and Channels keeping every channel inside its head (new
// head h holds exactly the channels of old head Heads[h]); Mamba1 takes no
// Heads. The groups, when given, must have one entry per SSD group (and
// head group) with strictly increasing ends that finish at H/G heads and P
// positions (Mamba1: one head of E positions).
func (r *Reorder) Check(cfg formats.Config) error {
	if r == nil {
		return fmt.Errorf("reorder: nil reorder")
	}
	E := cfg.DInner
	if r.Channels != nil {
		if err := checkPerm("Channels", r.Channels, E); err != nil {
			return err
		}
	}
	heads, P := 1, E // per SSD group; head width
	G := 1
	if cfg.Arch == formats.Mamba2 {
		H := cfg.NHeads
		G, P = cfg.NGroups, cfg.HeadDim
		if G <= 0 || H <= 0 || P <= 0 || H%G != 0 || H*P != E {
			return fmt.Errorf("reorder: nheads %d, ngroups %d, headdim %d do not fit d_inner %d", H, G, P, E)
		}
		heads = H / G
		if r.Heads != nil {
			if err := checkPerm("Heads", r.Heads, H); err != nil {
				return err
			}
			for h, old := range r.Heads {
				if old/heads != h/heads {
					return fmt.Errorf("reorder: Heads[%d] = %d moves head %d from SSD group %d to SSD group %d (heads must stay in their group of %d)",
						h, old, old, old/heads, h/heads, heads)
				}
			}
		}
		if r.Channels != nil || r.Heads != nil {
			ch := r.Channels
			if ch == nil {
				ch = identity(E)
			}
			for c, old := range ch {
				want := c / P
				if r.Heads != nil {
					want = r.Heads[c/P]
				}
				if old/P != want {
					return fmt.Errorf("reorder: Channels[%d] = %d is a channel of head %d but new head %d holds old head %d (channels must stay in their head of %d)",
						c, old, old/P, c/P, want, P)
				}
			}
		}
	} else if r.Heads != nil {
		return fmt.Errorf("reorder: a %s model has no heads, Heads must be nil (got %d entries)", cfg.Arch, len(r.Heads))
	}
	if r.HeadGroups == nil && r.ChannelGroups == nil {
		return nil
	}
	if len(r.HeadGroups) != G || len(r.ChannelGroups) != G {
		return fmt.Errorf("reorder: %d head-group and %d channel-group lists, want one per SSD group (%d)", len(r.HeadGroups), len(r.ChannelGroups), G)
	}
	for g := 0; g < G; g++ {
		if err := checkGroupEnds(fmt.Sprintf("HeadGroups[%d]", g), r.HeadGroups[g], heads); err != nil {
			return err
		}
		if len(r.ChannelGroups[g]) != len(r.HeadGroups[g]) {
			return fmt.Errorf("reorder: ChannelGroups[%d] has %d lists, SSD group %d has %d head groups", g, len(r.ChannelGroups[g]), g, len(r.HeadGroups[g]))
		}
		for k, ends := range r.ChannelGroups[g] {
			if err := checkGroupEnds(fmt.Sprintf("ChannelGroups[%d][%d]", g, k), ends, P); err != nil {
				return err
			}
		}
	}
	return nil
}

// ScaleIndex maps every reordered channel c in [0, E) (the order after
// ApplyReorder) to the index of its x scale and returns that map with the
// number of scales, after checking r against cfg. Scales are numbered by
// SSD group, then head group, then channel group, without gaps, so with the
// full 4×4 grouping channel c of SSD group g, head group k and channel group
// j has index 16g + 4k + j; with fewer heads or positions than groups the
// counts are ragged and the numbering stays compact. Nil groups give one
// scale for every channel.
func (r *Reorder) ScaleIndex(cfg formats.Config) ([]int, int, error) {
	if r == nil {
		return nil, 0, fmt.Errorf("reorder: nil reorder")
	}
	if err := r.Check(cfg); err != nil {
		return nil, 0, err
	}
	heads, P := 1, cfg.DInner
	if cfg.Arch == formats.Mamba2 {
		heads, P = cfg.NHeads/cfg.NGroups, cfg.HeadDim
	}
	index, n := r.scaleIndex(cfg.DInner, heads, P)
	return index, n, nil
}

// BlockEnds returns the cumulative ends of the maximal runs of contiguous
// reordered channels that share one x scale (ScaleIndex): for Mamba2 one run
// per (head, channel group), since a channel group takes the same positions
// in every head of its head group, and for Mamba1 one run per channel group.
// Several runs may share a scale; BlockScales says which. It reads the
// geometry from r itself (E = len(Channels), H = len(Heads), or one head for
// Mamba1, G = len(HeadGroups)) and returns nil, one block, when r has no
// groups or no channel permutation or its fields do not fit together: use
// Check first.
func (r *Reorder) BlockEnds() []int {
	ends, _ := r.blocks()
	return ends
}

// BlockScales returns the scale index (as ScaleIndex) of every block of
// BlockEnds, or nil when BlockEnds is nil.
func (r *Reorder) BlockScales() []int {
	_, scales := r.blocks()
	return scales
}

// blocks splits the scale index of r into contiguous runs.
func (r *Reorder) blocks() (ends, scales []int) {
	if r == nil || r.HeadGroups == nil || r.Channels == nil || len(r.ChannelGroups) != len(r.HeadGroups) || len(r.HeadGroups) == 0 {
		return nil, nil
	}
	E, H, G := len(r.Channels), 1, len(r.HeadGroups)
	if r.Heads != nil {
		H = len(r.Heads)
	}
	if E == 0 || H%G != 0 || E%H != 0 {
		return nil, nil
	}
	heads, P := H/G, E/H
	for g, hg := range r.HeadGroups {
		if checkGroupEnds("", hg, heads) != nil || len(r.ChannelGroups[g]) != len(hg) {
			return nil, nil
		}
		for _, cg := range r.ChannelGroups[g] {
			if checkGroupEnds("", cg, P) != nil {
				return nil, nil
			}
		}
	}
	index, _ := r.scaleIndex(E, heads, P)
	for c := range index {
		if c+1 == E || index[c+1] != index[c] {
			ends = append(ends, c+1)
			scales = append(scales, index[c])
		}
	}
	return ends, scales
}

// scaleIndex numbers the scales of validated groups for E channels in SSD
// groups of heads heads of P channels.
func (r *Reorder) scaleIndex(E, heads, P int) ([]int, int) {
	index := make([]int, E)
	if r.HeadGroups == nil {
		return index, 1
	}
	base := 0
	for g, hg := range r.HeadGroups {
		first := 0
		for k, end := range hg {
			cg := r.ChannelGroups[g][k]
			for h := first; h < end; h++ {
				c0 := (g*heads + h) * P
				start := 0
				for j, e := range cg {
					for p := start; p < e; p++ {
						index[c0+p] = base + j
					}
					start = e
				}
			}
			first = end
			base += len(cg)
		}
	}
	return index, base
}

// checkPerm verifies that p is a permutation of [0, n).
func checkPerm(name string, p []int, n int) error {
	if len(p) != n {
		return fmt.Errorf("reorder: %s has %d entries, want %d", name, len(p), n)
	}
	seen := make([]bool, n)
	for i, v := range p {
		if v < 0 || v >= n {
			return fmt.Errorf("reorder: %s[%d] = %d is not in [0, %d)", name, i, v, n)
		}
		if seen[v] {
			return fmt.Errorf("reorder: %s[%d] = %d repeats an index: not a permutation", name, i, v)
		}
		seen[v] = true
	}
	return nil
}

// checkGroupEnds verifies cumulative group ends: non-empty, strictly increasing,
// positive, the last equal to n.
func checkGroupEnds(name string, ends []int, n int) error {
	if len(ends) == 0 {
		return fmt.Errorf("reorder: %s is empty", name)
	}
	prev := 0
	for i, e := range ends {
		if e <= prev {
			return fmt.Errorf("reorder: %s[%d] = %d does not follow %d: group ends must increase", name, i, e, prev)
		}
		prev = e
	}
	if prev != n {
		return fmt.Errorf("reorder: %s ends at %d, want %d", name, prev, n)
	}
	return nil
}

// identity returns [0, 1, ..., n-1].
func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// permuteRows gathers the rows of the row-major w [len(perm), cols]:
// new row i is old row perm[i]. It works in place, cycle by cycle, with one
// row of scratch (a copy of w would be garbage the size of the weights).
func permuteRows(w []float32, perm []int, cols int) {
	done := make([]bool, len(perm))
	tmp := make([]float32, cols)
	row := func(i int) []float32 { return w[i*cols : (i+1)*cols] }
	for start := range perm {
		if done[start] || perm[start] == start {
			done[start] = true
			continue
		}
		// Cycle start ← perm[start] ← perm[perm[start]] ... ← start.
		copy(tmp, row(start))
		i := start
		for {
			done[i] = true
			j := perm[i]
			if j == start {
				copy(row(i), tmp)
				break
			}
			copy(row(i), row(j))
			i = j
		}
	}
}

// permuteCols gathers the columns of the row-major w [rows, cols]: new
// column j is old column perm[j].
func permuteCols(w []float32, rows, cols int, perm []int) {
	old := make([]float32, cols)
	for r := 0; r < rows; r++ {
		row := w[r*cols : (r+1)*cols]
		copy(old, row)
		for j, p := range perm {
			row[j] = old[p]
		}
	}
}
