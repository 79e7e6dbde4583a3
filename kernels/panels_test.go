package kernels

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestW8FromPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][2]int{{1, 1}, {17, 5}, {33, 130}} {
		n, k := sh[0], sh[1]
		w := make([]int8, n*k)
		for i := range w {
			w[i] = int8(rng.IntN(255) - 127)
		}
		p, err := PackW8(n, k, w, k)
		if err != nil {
			t.Fatal(err)
		}
		q, err := W8FromPanels(n, k, slices.Clone(p.PanelData()), slices.Clone(p.RowSums()))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(q.Unpack(), w) {
			t.Fatalf("%dx%d: weights differ after wrapping the panels", n, k)
		}
		x := make([]int8, 3*k)
		for i := range x {
			x[i] = int8(rng.IntN(256) - 128)
		}
		a, b := make([]int32, 3*n), make([]int32, 3*n)
		MatMulW8A8I32(3, x, k, p, a, n)
		MatMulW8A8I32(3, x, k, q, b, n)
		if !slices.Equal(a, b) {
			t.Fatalf("%dx%d: products differ", n, k)
		}
		bad := slices.Clone(p.RowSums())
		bad[n-1]++
		if _, err := W8FromPanels(n, k, p.PanelData(), bad); err == nil || !strings.Contains(err.Error(), "row sum") {
			t.Errorf("corrupt row sum: %v", err)
		}
		d := slices.Clone(p.PanelData())
		d[0] = -128
		if _, err := W8FromPanels(n, k, d, p.RowSums()); err == nil {
			t.Error("-128 accepted")
		}
		if _, err := W8FromPanels(n, k, d[1:], p.RowSums()); err == nil {
			t.Error("short data accepted")
		}
		// A nonzero padding weight, in a padding column of a full panel
		// and in a padding row of the last one, with the row sums kept.
		kp := (k + 3) / 4 * 4
		if k%4 != 0 {
			d := slices.Clone(p.PanelData())
			d[(kp/4-1)*64+4*0+3] = 1 // panel 0, row 0, column kp-1
			if _, err := W8FromPanels(n, k, d, p.RowSums()); err == nil || !strings.Contains(err.Error(), "padding") {
				t.Errorf("%dx%d: padding column: %v", n, k, err)
			}
		}
		if n%16 != 0 {
			d := slices.Clone(p.PanelData())
			last := (n / 16) * 16 * kp
			d[last+4*15] = 1 // last panel, row 15, column 0
			if _, err := W8FromPanels(n, k, d, p.RowSums()); err == nil || !strings.Contains(err.Error(), "padding") {
				t.Errorf("%dx%d: padding row: %v", n, k, err)
			}
		}
		if _, err := W8FromPanelsTrusted(n, k, d, p.RowSums()); err != nil {
			t.Errorf("trusted wrap checks more than lengths: %v", err)
		}
		if _, err := W8FromPanelsTrusted(n, k, d[1:], p.RowSums()); err == nil {
			t.Error("trusted wrap accepted short data")
		}
	}
}

func TestW4FromPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n, k := 19, 200
	q := make([]uint8, n*k)
	for i := range q {
		q[i] = uint8(rng.IntN(16))
	}
	gs, rs := make([]float32, n*2), make([]float32, n)
	for i := range gs {
		gs[i] = rng.Float32()
	}
	for i := range rs {
		rs[i] = rng.Float32()
	}
	p, err := PackW4(n, k, q, k, gs, rs)
	if err != nil {
		t.Fatal(err)
	}
	c, g, r := p.PanelCodes()
	w, err := W4FromPanels(n, k, slices.Clone(c), slices.Clone(g), slices.Clone(r))
	if err != nil {
		t.Fatal(err)
	}
	q2, gs2, rs2 := w.Unpack()
	if !slices.Equal(q, q2) || !slices.Equal(gs, gs2) || !slices.Equal(rs, rs2) {
		t.Fatal("codes or scales differ after wrapping the panels")
	}
	if _, err := W4FromPanels(n, k, c[1:], g, r); err == nil {
		t.Error("short codes accepted")
	}
}
