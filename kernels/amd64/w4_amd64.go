//go:build !noasm

package amd64

// GemvW4A8AVX2 multiplies one int8 activation row x (128·kg bytes, zero
// padded) by np packed W4 panels: y[n] = (xs·rs[n])·Σ_g gs[n][g]·P[n][g]
// with P[n][g] = Σ_{k∈g} x[k]·q[n][k] − corr[g] and corr[g] = 8·Σ_{k∈g} x[k].
// codes, gs and rs point to the first panel's codes (64·kg·16 bytes per
// panel), group scales (16·kg per panel) and row scales (16 per panel); y
// receives 16 float32 per panel. Requires AVX2, FMA; kg, np ≥ 1.
//
//go:noescape
func GemvW4A8AVX2(x *int8, corr *int32, codes *byte, gs, rs *float32, xs float32, kg, np int, y *float32)

// GemvW4A16AVX2 multiplies one float32 activation row x (128·kg values,
// zero padded) by np packed W4 panels:
// y[n] = rs[n]·Σ_g gs[n][g]·Σ_{k∈g} x[k]·(q[n][k]−8). Arguments are laid out
// as for GemvW4A8AVX2. Requires AVX2, FMA; kg, np ≥ 1.
//
//go:noescape
func GemvW4A16AVX2(x *float32, codes *byte, gs, rs *float32, kg, np int, y *float32)

// GemmW4A16x4AVX2 multiplies 4 float32 activation rows (row t at x + t·ldx
// bytes, 128·kg values, zero padded) by one W4 panel expanded to floats:
// wf[16k + r] = q[r][k] − 8 for k < 128·kg. gs points to the panel's group
// scales (16 per group), rs to its 16 row scales. Row t of the output (16
// float32) goes to y + t·ldy bytes:
// y[t][r] = rs[r]·Σ_g gs[g][r]·Σ_{k∈g} x[t][k]·wf[16k+r]. Requires AVX2, FMA;
// kg ≥ 1.
//
//go:noescape
func GemmW4A16x4AVX2(x *float32, ldx int, wf *float32, gs, rs *float32, kg int, y *float32, ldy int)

// GemvW4A8AVX512 is GemvW4A8AVX2 (same arguments) with 512-bit vectors and
// VPDPBUSD, and with the float operations of the pure-Go code: per group
// one rounded multiply gs·float32(P) and one add, so the result is
// bit-identical to it. Requires AVX-512 F, BW, VNNI; kg, np ≥ 1.
//
//go:noescape
func GemvW4A8AVX512(x *int8, corr *int32, codes *byte, gs, rs *float32, xs float32, kg, np int, y *float32)

// GemmW4A8x4AVX512 multiplies 4 int8 activation rows by np packed W4
// panels. Row t is prepared as for GemvW4A8AVX512 at x + t·ldx bytes: 128·kg
// bytes (zero padded) followed by its kg int32 corrections. Row t of the
// output (16 float32 per panel) goes to y + t·ldy bytes. Bit-identical to
// the pure-Go code. Requires AVX-512 F, BW, VNNI; kg, np ≥ 1.
//
//go:noescape
func GemmW4A8x4AVX512(x *int8, ldx int, codes *byte, gs, rs *float32, xs float32, kg, np int, y *float32, ldy int)

// GemvW4A16AVX512 is GemvW4A16AVX2 (same arguments) with 512-bit vectors:
// codes looked up as floats by VPERMPS, fused multiply-adds into 8 partial
// sums per group, so results agree with the pure-Go code to float32
// rounding of the sums. Requires AVX-512 F, BW; kg, np ≥ 1.
//
//go:noescape
func GemvW4A16AVX512(x *float32, codes *byte, gs, rs *float32, kg, np int, y *float32)

// ExpandW4AVX512 expands nblk 64-byte blocks of a packed W4 panel to the
// values q−8 as float32, k-major: wf[16k + r] for panel row r and
// k < 8·nblk. Requires AVX-512 F; nblk ≥ 1.
//
//go:noescape
func ExpandW4AVX512(codes *byte, nblk int, wf *float32)

// GemmW4A16x4AVX512 is GemmW4A16x4AVX2 (same arguments: 4 rows at
// x + t·ldx bytes, one panel expanded by ExpandW4AVX512, row t of the
// output at y + t·ldy bytes) with 512-bit vectors and the float operations
// of the pure-Go code (one multiply and one add per k, in k order),
// bit-identical to it. Requires AVX-512 F; kg ≥ 1.
//
//go:noescape
func GemmW4A16x4AVX512(x *float32, ldx int, wf *float32, gs, rs *float32, kg int, y *float32, ldy int)
