package kernels

import "fmt"

// Packed weights as stored bytes: an artifact keeps W8 and W4 matrices in
// exactly the panel layout documented on the types, so that a loader maps
// them and wraps them without repacking. The accessors return the packed
// arrays themselves (shared, not copies); the constructors wrap given arrays
// (kept, not copied) after checking their lengths.

// PanelData returns the packed int8 weights, NP·KP bytes in the W8 layout
// (NP = roundup(N,16), KP = roundup(K,4)).
func (w *W8) PanelData() []int8 { return w.data }

// W8FromPanels wraps packed int8 weights data (the W8 layout, NP·KP values)
// and their row sums rowSum (NP values: Σ_k w[n][k], 0 for padding rows)
// as an n×k W8. It checks the lengths, that no weight is -128, that the
// padding is zero and that the row sums match the weights, so that a
// corrupt file cannot make the kernels compute wrong results silently.
func W8FromPanels(n, k int, data []int8, rowSum []int32) (*W8, error) {
	w, err := W8FromPanelsTrusted(n, k, data, rowSum)
	if err != nil {
		return nil, err
	}
	np, kp := roundUp(n, PanelRows), roundUp(k, 4)
	for p := 0; p < np/PanelRows; p++ {
		panel := data[p*kp*PanelRows : (p+1)*kp*PanelRows]
		var sums [PanelRows]int32
		bad := false
		for j := 0; j < kp/4; j++ {
			blk := panel[j*64 : j*64+64 : j*64+64]
			for r := range PanelRows {
				a, b, c, d := blk[4*r], blk[4*r+1], blk[4*r+2], blk[4*r+3]
				bad = bad || a == -128 || b == -128 || c == -128 || d == -128
				sums[r] += int32(a) + int32(b) + int32(c) + int32(d)
			}
		}
		if bad {
			return nil, fmt.Errorf("kernels: W8FromPanels: weight -128 in panel %d (allowed range is [-127, 127])", p)
		}
		// The padding: columns k..kp-1 (in the last block of every
		// panel) and rows n.. (of the last panel) must be zero.
		for j := 0; j < kp/4; j++ {
			for r := range PanelRows {
				for b := range 4 {
					if row, col := p*PanelRows+r, 4*j+b; (row >= n || col >= k) && panel[64*j+4*r+b] != 0 {
						return nil, fmt.Errorf("kernels: W8FromPanels: padding weight (%d, %d) is %d, want 0", row, col, panel[64*j+4*r+b])
					}
				}
			}
			if j+2 < kp/4 && (p+1)*PanelRows <= n {
				j = kp/4 - 2 // only the last block can hold padding columns
			}
		}
		for r, s := range sums {
			if got := rowSum[p*PanelRows+r]; got != s {
				return nil, fmt.Errorf("kernels: W8FromPanels: row sum %d is %d, the weights sum to %d", p*PanelRows+r, got, s)
			}
		}
	}
	return w, nil
}

// W8FromPanelsTrusted is W8FromPanels checking only the lengths, for
// panels known to be what PackW8 produced (an artifact whose checksum
// verified): it costs nothing per weight. Panels with a weight of -128 or
// wrong row sums make the kernels compute wrong results.
func W8FromPanelsTrusted(n, k int, data []int8, rowSum []int32) (*W8, error) {
	if n <= 0 || k <= 0 {
		return nil, fmt.Errorf("kernels: W8FromPanels: bad shape %dx%d", n, k)
	}
	np, kp := roundUp(n, PanelRows), roundUp(k, 4)
	if len(data) != np*kp {
		return nil, fmt.Errorf("kernels: W8FromPanels: %d packed weights for %dx%d, want %d", len(data), n, k, np*kp)
	}
	if len(rowSum) != np {
		return nil, fmt.Errorf("kernels: W8FromPanels: %d row sums, want %d", len(rowSum), np)
	}
	return &W8{N: n, K: k, data: data, rowSum: rowSum}, nil
}

// PanelCodes returns the packed 4-bit codes (NP·KP/2 bytes in the W4
// layout), the panel-major group scales and the row scales (NP values).
func (w *W4) PanelCodes() (codes []byte, gs, rs []float32) { return w.codes, w.gs, w.rs }

// W4FromPanels wraps packed 4-bit codes and their panel-major group scales
// and row scales (the W4 layout) as an n×k W4, after checking the lengths.
func W4FromPanels(n, k int, codes []byte, gs, rs []float32) (*W4, error) {
	if n <= 0 || k <= 0 {
		return nil, fmt.Errorf("kernels: W4FromPanels: bad shape %dx%d", n, k)
	}
	np, kp := roundUp(n, PanelRows), roundUp(k, W4Group)
	if len(codes) != np*kp/2 {
		return nil, fmt.Errorf("kernels: W4FromPanels: %d code bytes for %dx%d, want %d", len(codes), n, k, np*kp/2)
	}
	if len(gs) != np*(kp/W4Group) {
		return nil, fmt.Errorf("kernels: W4FromPanels: %d group scales, want %d", len(gs), np*(kp/W4Group))
	}
	if len(rs) != np {
		return nil, fmt.Errorf("kernels: W4FromPanels: %d row scales, want %d", len(rs), np)
	}
	return &W4{N: n, K: k, codes: codes, gs: gs, rs: rs}, nil
}
