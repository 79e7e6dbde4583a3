package quant

import "github.com/quamba/quamba/kernels"

// packRows packs output rows [r0, r0+n) of t for the W8A8 kernels: one
// projection stage of the tensor.
func (t *W8Tensor) packRows(r0, n int) (*kernels.W8, error) {
	return kernels.PackW8(n, t.Cols, t.Codes[r0*t.Cols:(r0+n)*t.Cols], t.Cols)
}

// packRows packs output rows [r0, r0+n) of t (group 128) for the W4
// kernels, with their group and row scales.
func (t *W4Tensor) packRows(r0, n int) (*kernels.W4, error) {
	ng := t.Groups()
	return kernels.PackW4(n, t.Cols, t.Codes[r0*t.Cols:(r0+n)*t.Cols], t.Cols, t.GroupScale[r0*ng:(r0+n)*ng], t.RowScale[r0:r0+n])
}

// rowSums returns Σ_k codes of rows [r0, r0+n), padded with zeros to np
// rows: the row sums kernels.PackW8 stores with the panels.
func (t *W8Tensor) rowSums(r0, n, np int) []int32 {
	out := make([]int32, np)
	for r := range n {
		var s int32
		for _, v := range t.Codes[(r0+r)*t.Cols : (r0+r+1)*t.Cols] {
			s += int32(v)
		}
		out[r] = s
	}
	return out
}
