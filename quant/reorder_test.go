package quant

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// randomReorder draws a valid reorder: Mamba2 heads shuffled inside their
// SSD group and each new head's channels (those of the old head it reads)
// shuffled; Mamba1 channels shuffled.
func randomReorder(cfg formats.Config, rng *rand.Rand) *Reorder {
	E := cfg.DInner
	if cfg.Arch == formats.Mamba1 {
		ch := identity(E)
		rng.Shuffle(E, func(i, j int) { ch[i], ch[j] = ch[j], ch[i] })
		return &Reorder{Channels: ch}
	}
	H, G, P := cfg.NHeads, cfg.NGroups, cfg.HeadDim
	heads := H / G
	hd := identity(H)
	for g := 0; g < G; g++ {
		part := hd[g*heads : (g+1)*heads]
		rng.Shuffle(heads, func(i, j int) { part[i], part[j] = part[j], part[i] })
	}
	ch := make([]int, 0, E)
	for _, old := range hd {
		inner := identity(P)
		rng.Shuffle(P, func(i, j int) { inner[i], inner[j] = inner[j], inner[i] })
		for _, p := range inner {
			ch = append(ch, old*P+p)
		}
	}
	return &Reorder{Heads: hd, Channels: ch}
}

// TestApplyReorderPreservesFunction reorders every layer of each model by a
// random valid permutation and compares the logits with the original's.
func TestApplyReorderPreservesFunction(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tm := range trModels(t) {
		cfg := tm.w.Config
		toks := trTokens(t, cfg.VocabSize)
		ref := trLogits(t, tm.w, toks)
		w := tm.w.Clone()
		moved := false
		for i := 0; i < cfg.NLayer; i++ {
			r := randomReorder(cfg, rng)
			if cfg.Arch == formats.Mamba2 && !slices.Equal(r.Heads, identity(cfg.NHeads)) {
				moved = true
			}
			if err := ApplyReorder(w, i, r); err != nil {
				t.Fatalf("%s layer %d: %v", tm.name, i, err)
			}
		}
		if cfg.Arch == formats.Mamba2 && !moved {
			t.Fatalf("%s: the random reorders moved no head", tm.name)
		}
		trSameFunction(t, tm.name+" random reorder", w, ref, toks)

		// And after the residual rotation and with the gated norm folded.
		w = tm.w.Clone()
		for _, f := range []func(*model.Weights) error{FoldNorms, RotateResidual} {
			if err := f(w); err != nil {
				t.Fatal(err)
			}
		}
		if cfg.Arch == formats.Mamba2 {
			if err := FoldGatedNorm(w); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < cfg.NLayer; i++ {
			if err := ApplyReorder(w, i, randomReorder(cfg, rng)); err != nil {
				t.Fatal(err)
			}
		}
		if err := FuseOutHadamard(w); err != nil {
			t.Fatal(err)
		}
		trSameFunction(t, tm.name+" rotated, reordered, fused", w, ref, toks)
	}
}

// TestApplyReorderTensors checks the permuted tensors of one Mamba2 layer
// against a direct gather written from §4.4: every tensor index by index.
func TestApplyReorderTensors(t *testing.T) {
	w0 := trRandomWeights(t, trRandomConfig(), 4)
	cfg := w0.Config
	D, E, N, G, H, K := cfg.DModel, cfg.DInner, cfg.DState, cfg.NGroups, cfg.NHeads, cfg.DConv
	r := randomReorder(cfg, rand.New(rand.NewPCG(3, 4)))
	w := w0.Clone()
	if err := ApplyReorder(w, 1, r); err != nil {
		t.Fatal(err)
	}
	a, b := &w0.Layers[1], &w.Layers[1]
	dt0 := 2*E + 2*G*N
	for row := 0; row < dt0+H; row++ {
		src := row // B and C rows stay
		switch {
		case row < E:
			src = r.Channels[row]
		case row < 2*E:
			src = E + r.Channels[row-E]
		case row >= dt0:
			src = dt0 + r.Heads[row-dt0]
		}
		for j := 0; j < D; j++ {
			if b.InProj[row*D+j] != a.InProj[src*D+j] {
				t.Fatalf("in_proj row %d should be old row %d", row, src)
			}
		}
	}
	for c := 0; c < E+2*G*N; c++ {
		src := c
		if c < E {
			src = r.Channels[c]
		}
		for k := 0; k < K; k++ {
			if b.ConvWeight[c*K+k] != a.ConvWeight[src*K+k] {
				t.Fatalf("conv weight row %d should be old row %d", c, src)
			}
		}
		if b.ConvBias[c] != a.ConvBias[src] {
			t.Fatalf("conv bias %d should be old %d", c, src)
		}
	}
	for h := 0; h < H; h++ {
		o := r.Heads[h]
		if b.ALog[h] != a.ALog[o] || b.D[h] != a.D[o] || b.DtBias[h] != a.DtBias[o] {
			t.Fatalf("head %d constants should be old head %d's", h, o)
		}
	}
	for c := 0; c < E; c++ {
		o := r.Channels[c]
		if b.GatedNorm[c] != a.GatedNorm[o] {
			t.Fatalf("gated norm %d should be old %d", c, o)
		}
		for i := 0; i < D; i++ {
			if b.OutProj[i*E+c] != a.OutProj[i*E+o] {
				t.Fatalf("out_proj column %d should be old column %d", c, o)
			}
		}
	}
	if trRelDiff(w.Layers[0].InProj, w0.Layers[0].InProj) != 0 {
		t.Error("ApplyReorder of layer 1 changed layer 0")
	}
}

// TestReorderRejects: invalid reorders are refused with an error naming the
// problem, and the weights are left as they were.
func TestReorderRejects(t *testing.T) {
	w := trLoad(t, "mamba2-shakespeare") // 6 heads of 32, 2 SSD groups of 3 heads
	cfg := w.Config
	keep := w.Clone()
	E, H, P := cfg.DInner, cfg.NHeads, cfg.HeadDim

	across := identity(H)
	across[0], across[3] = 3, 0 // head 3 (SSD group 1) into group 0
	chAcross := make([]int, 0, E)
	for _, old := range across {
		for p := 0; p < P; p++ {
			chAcross = append(chAcross, old*P+p)
		}
	}
	trWantErr(t, ApplyReorder(w, 0, &Reorder{Heads: across, Channels: chAcross}), "SSD group")

	leave := identity(E)
	leave[P-1], leave[P] = P, P-1 // a channel of head 1 into head 0
	trWantErr(t, ApplyReorder(w, 0, &Reorder{Channels: leave}), "Channels[31]", "head")

	within := identity(H)
	within[0], within[1] = 1, 0
	// Heads permuted but channels left in place (given or nil): channels
	// 0..31 would sit in a head that reads old head 1.
	trWantErr(t, ApplyReorder(w, 0, &Reorder{Heads: within, Channels: identity(E)}), "holds old head 1")
	trWantErr(t, ApplyReorder(w, 0, &Reorder{Heads: within}), "holds old head 1")

	dup := identity(E)
	dup[5] = 4
	trWantErr(t, ApplyReorder(w, 0, &Reorder{Channels: dup}), "not a permutation")
	trWantErr(t, ApplyReorder(w, 0, &Reorder{Channels: identity(E - 1)}), "entries")
	out := identity(H)
	out[2] = H
	trWantErr(t, ApplyReorder(w, 0, &Reorder{Heads: out}), "Heads[2]")
	trWantErr(t, ApplyReorder(w, 4, &Reorder{}), "layer 4")
	trWantErr(t, ApplyReorder(w, -1, &Reorder{}), "layer -1")
	trWantErr(t, ApplyReorder(w, 0, nil), "nil")
	trWantErr(t, ApplyReorder(nil, 0, &Reorder{}), "nil weights")
	trWantErr(t, ApplyReorder(w, 0, &Reorder{HeadGroups: [][]int{{3}}, ChannelGroups: [][][]int{{{P}}}}), "one per SSD group")
	trWantErr(t, ApplyReorder(w, 0, &Reorder{HeadGroups: [][]int{{2}, {3}}, ChannelGroups: [][][]int{{{P}}, {{P}}}}), "HeadGroups[0] ends at 2")
	trWantErr(t, ApplyReorder(w, 0, &Reorder{HeadGroups: [][]int{{3}, {3}}, ChannelGroups: [][][]int{{{8, 8, P}}, {{P}}}}), "ChannelGroups[0][0][1]")
	for i := range w.Layers {
		if trRelDiff(w.Layers[i].InProj, keep.Layers[i].InProj) != 0 || trRelDiff(w.Layers[i].OutProj, keep.Layers[i].OutProj) != 0 {
			t.Fatal("a refused reorder changed the weights")
		}
	}

	m1 := trLoad(t, "mamba1-shakespeare")
	trWantErr(t, ApplyReorder(m1, 0, &Reorder{Heads: []int{0}}), "no heads")
}

// plantedStat builds a Mamba2 statistic with known structure: in every SSD
// group of 8 heads of 16 channels, four head types (two heads each, placed
// at random) whose sorted profiles have four levels 1, 3, 9, 27 ending at the
// type's ends, each head scaled by its own factor (normalisation removes
// it), with ±0.5% noise and the channels of every head shuffled. It returns
// the config, the statistic and each head's type.
func plantedStat(rng *rand.Rand) (formats.Config, []float64, []int, [4][]int) {
	cfg := formats.Config{Arch: formats.Mamba2, DInner: 2 * 8 * 16, NHeads: 16, NGroups: 2, HeadDim: 16}
	// Every type's levels contain one k-means start (positions 0, 4, 8, 12).
	ends := [4][]int{{3, 6, 11, 16}, {2, 7, 10, 16}, {4, 5, 9, 16}, {1, 8, 12, 16}}
	levels := []float64{1, 3, 9, 27}
	P := cfg.HeadDim
	types := make([]int, cfg.NHeads)
	m := make([]float64, cfg.DInner)
	for g := 0; g < cfg.NGroups; g++ {
		perm := []int{0, 0, 1, 1, 2, 2, 3, 3}
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		copy(types[g*8:], perm)
	}
	for h, ty := range types {
		scale := 0.1 + rng.Float64()
		vals := make([]float64, P)
		lv := 0
		for p := range vals {
			for p >= ends[ty][lv] {
				lv++
			}
			vals[p] = scale * levels[lv] * (1 + 0.01*(rng.Float64()-0.5))
		}
		if h == 5 {
			vals[1] = vals[0] // an exact tie
		}
		rng.Shuffle(P, func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
		copy(m[h*P:], vals)
	}
	return cfg, m, types, ends
}

// TestSortAndClusterPlanted recovers the planted head types and channel
// levels, and checks that every head's channels come out ascending (ties by
// index).
func TestSortAndClusterPlanted(t *testing.T) {
	cfg, m, types, ends := plantedStat(rand.New(rand.NewPCG(5, 6)))
	r, err := SortAndCluster(cfg, m, QuambaGroups, QuambaGroups)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(cfg); err != nil {
		t.Fatalf("SortAndCluster made an invalid reorder: %v", err)
	}
	P, heads := cfg.HeadDim, cfg.NHeads/cfg.NGroups
	for g := 0; g < cfg.NGroups; g++ {
		// Expected: types in order of their first head, then head index.
		var want []int
		var firstSeen []int
		for h := 0; h < heads; h++ {
			if !slices.Contains(firstSeen, types[g*heads+h]) {
				firstSeen = append(firstSeen, types[g*heads+h])
			}
		}
		for _, ty := range firstSeen {
			for h := 0; h < heads; h++ {
				if types[g*heads+h] == ty {
					want = append(want, g*heads+h)
				}
			}
		}
		if got := r.Heads[g*heads : (g+1)*heads]; !slices.Equal(got, want) {
			t.Errorf("SSD group %d heads %v, want %v", g, got, want)
		}
		if !slices.Equal(r.HeadGroups[g], []int{2, 4, 6, 8}) {
			t.Errorf("SSD group %d head groups %v, want [2 4 6 8]", g, r.HeadGroups[g])
		}
		for k, ty := range firstSeen {
			if !slices.Equal(r.ChannelGroups[g][k], ends[ty]) {
				t.Errorf("SSD group %d head group %d channel groups %v, want %v", g, k, r.ChannelGroups[g][k], ends[ty])
			}
		}
	}
	for c := 1; c < cfg.DInner; c++ {
		if c%P == 0 {
			continue
		}
		a, b := r.Channels[c-1], r.Channels[c]
		if m[a] > m[b] || (m[a] == m[b] && a > b) {
			t.Fatalf("channels %d, %d of head %d are not in ascending order (%v, %v)", a, b, c/P, m[a], m[b])
		}
	}
	nh := slices.Index(r.Heads, 5)
	tied := false
	for p := nh*P + 1; p < (nh+1)*P; p++ {
		a, b := r.Channels[p-1], r.Channels[p]
		tied = tied || (m[a] == m[b] && a < b)
	}
	if !tied {
		t.Error("the planted tie of old head 5 is not two adjacent channels, lower index first")
	}
	index, n, err := r.ScaleIndex(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n != cfg.NGroups*QuambaGroups*QuambaGroups {
		t.Errorf("%d scales, want %d", n, cfg.NGroups*16)
	}
	checkScaleIndex(t, cfg, r, index, n)
}

// checkScaleIndex compares ScaleIndex, BlockEnds and BlockScales with a
// brute-force lookup by the recipe of quamba.md §4.3: the head group of a
// head is the number of head-group ends ≤ its offset in the SSD group, the
// channel group of a position the number of channel-group ends ≤ it, and
// scales count up over (SSD group, head group, channel group).
func checkScaleIndex(t *testing.T, cfg formats.Config, r *Reorder, index []int, n int) {
	t.Helper()
	heads, P := 1, cfg.DInner
	if cfg.Arch == formats.Mamba2 {
		heads, P = cfg.NHeads/cfg.NGroups, cfg.HeadDim
	}
	countLE := func(ends []int, v int) int {
		k := 0
		for _, e := range ends {
			if e <= v {
				k++
			}
		}
		return k
	}
	total := 0
	for g := range r.HeadGroups {
		for k := range r.HeadGroups[g] {
			total += len(r.ChannelGroups[g][k])
		}
	}
	if n != total {
		t.Fatalf("ScaleIndex counts %d scales, the groups hold %d", n, total)
	}
	for c := 0; c < cfg.DInner; c++ {
		h := c / P
		g, local, p := h/heads, h%heads, c%P
		k := countLE(r.HeadGroups[g], local)
		j := countLE(r.ChannelGroups[g][k], p)
		base := 0
		for g2 := 0; g2 <= g; g2++ {
			for k2 := range r.HeadGroups[g2] {
				if g2 == g && k2 == k {
					break
				}
				base += len(r.ChannelGroups[g2][k2])
			}
		}
		if index[c] != base+j {
			t.Fatalf("channel %d: scale %d, want %d (SSD group %d, head group %d, channel group %d)", c, index[c], base+j, g, k, j)
		}
	}
	ends, scales := r.BlockEnds(), r.BlockScales()
	if len(ends) != len(scales) || len(ends) == 0 || ends[len(ends)-1] != cfg.DInner {
		t.Fatalf("BlockEnds %v / BlockScales %v do not cover d_inner %d", ends, scales, cfg.DInner)
	}
	start := 0
	for b, e := range ends {
		for c := start; c < e; c++ {
			if index[c] != scales[b] {
				t.Fatalf("channel %d is in block %d of scale %d, ScaleIndex says %d", c, b, scales[b], index[c])
			}
		}
		if b > 0 && scales[b] == scales[b-1] {
			t.Fatalf("blocks %d and %d share scale %d: runs are not maximal", b-1, b, scales[b])
		}
		start = e
	}
}

// TestSortAndClusterFewHeads: with fewer heads per SSD group than head
// groups (the bundled Mamba2 and the random four-group model have three)
// every head is its own group, heads keep their order and the scale count
// is ragged.
func TestSortAndClusterFewHeads(t *testing.T) {
	for _, name := range []string{"mamba2-shakespeare", "random"} {
		var w *model.Weights
		if name == "random" {
			w = trRandomWeights(t, trRandomConfig(), 8)
		} else {
			w = trLoad(t, name)
		}
		cfg := w.Config
		stats := trMeanAbsX(t, w, trTokens(t, cfg.VocabSize)[:trPrompt])
		r, err := SortAndCluster(cfg, stats[0], QuambaGroups, QuambaGroups)
		if err != nil {
			t.Fatal(err)
		}
		heads := cfg.NHeads / cfg.NGroups
		if !slices.Equal(r.Heads, identity(cfg.NHeads)) {
			t.Errorf("%s: heads %v moved although each is its own group", name, r.Heads)
		}
		n := 0
		for g := range r.HeadGroups {
			if !slices.Equal(r.HeadGroups[g], identity(heads + 1)[1:]) {
				t.Errorf("%s: SSD group %d head groups %v, want one per head", name, g, r.HeadGroups[g])
			}
			for _, cg := range r.ChannelGroups[g] {
				n += len(cg)
			}
		}
		index, count, err := r.ScaleIndex(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if count != n || count > cfg.NGroups*heads*QuambaGroups {
			t.Errorf("%s: %d scales, groups hold %d (at most %d)", name, count, n, cfg.NGroups*heads*QuambaGroups)
		}
		checkScaleIndex(t, cfg, r, index, count)
	}
}

// TestSortAndClusterMamba1 plants four magnitude levels a decade apart (of
// 50, 50, 80 and 76 channels, ±20% noise, shuffled) and recovers them.
func TestSortAndClusterMamba1(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cfg := formats.Config{Arch: formats.Mamba1, DInner: 256}
	sizes := []int{50, 50, 80, 76}
	var m []float64
	for lv, n := range sizes {
		for i := 0; i < n; i++ {
			m = append(m, math.Pow(10, float64(lv-3))*(0.8+0.4*rng.Float64()))
		}
	}
	m[3] = 0 // a dead channel joins the lowest group
	rng.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	r, err := SortAndCluster(cfg, m, 1, QuambaGroups)
	if err != nil {
		t.Fatal(err)
	}
	if r.Heads != nil || !slices.Equal(r.HeadGroups[0], []int{1}) {
		t.Fatalf("Mamba1 reorder has heads %v, head groups %v", r.Heads, r.HeadGroups)
	}
	if want := []int{50, 100, 180, 256}; !slices.Equal(r.ChannelGroups[0][0], want) {
		t.Errorf("channel groups %v, want %v", r.ChannelGroups[0][0], want)
	}
	for c := 1; c < len(m); c++ {
		if m[r.Channels[c-1]] > m[r.Channels[c]] {
			t.Fatalf("channels not ascending at %d", c)
		}
	}
	index, n, err := r.ScaleIndex(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d scales, want 4", n)
	}
	checkScaleIndex(t, cfg, r, index, n)
}

// TestPositionGroupsFallback: labels that are not monotone over the
// positions give an equal split.
func TestPositionGroupsFallback(t *testing.T) {
	// Centres start at positions 0 and 3 (values 0 and 10.1): labels 0 0 1 1 0 0.
	points := [][]float64{{0}, {0.1}, {10}, {10.1}, {0.2}, {0.3}}
	ends, err := positionGroups(points, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ends, []int{3, 6}) {
		t.Errorf("fallback ends %v, want the equal split [3 6]", ends)
	}
	ends, err = positionGroups([][]float64{{0}, {0.1}, {5}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ends, []int{1, 2, 3}) {
		t.Errorf("3 positions in 4 groups: ends %v, want [1 2 3]", ends)
	}
}

func TestSortAndClusterErrors(t *testing.T) {
	cfg, m, _, _ := plantedStat(rand.New(rand.NewPCG(1, 1)))
	_, err := SortAndCluster(cfg, m[:10], 4, 4)
	trWantErr(t, err, "10 values", "256")
	bad := slices.Clone(m)
	bad[7] = math.NaN()
	_, err = SortAndCluster(cfg, bad, 4, 4)
	trWantErr(t, err, "channel 7", "NaN")
	bad[7] = -1
	_, err = SortAndCluster(cfg, bad, 4, 4)
	trWantErr(t, err, "channel 7", "non-negative")
	_, err = SortAndCluster(cfg, m, 0, 4)
	trWantErr(t, err, "0 head groups")
	_, err = SortAndCluster(cfg, m, 4, 1<<40)
	trWantErr(t, err, "channel groups")
	c2 := cfg
	c2.NGroups = 3
	_, err = SortAndCluster(c2, m, 4, 4)
	trWantErr(t, err, "ngroups 3")
	_, err = SortAndCluster(formats.Config{Arch: formats.Mamba1, DInner: 4}, []float64{1, 2, 3, 4}, 4, 4)
	trWantErr(t, err, "1 head group")
	_, err = SortAndCluster(formats.Config{Arch: "mamba3", DInner: 4}, []float64{1, 2, 3, 4}, 1, 1)
	trWantErr(t, err, "architecture")
}
