package quant

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/quamba/quamba/model"
)

// TestWithEngine: the engine over moved weights computes what a plain
// Build computes, the projections are nil while it runs, and every tensor
// comes back bit for bit, also when f fails.
func TestWithEngine(t *testing.T) {
	for _, name := range []string{"mamba1-shakespeare", "mamba2-shakespeare"} {
		w := bundled(t, name)
		if err := Untie(w); err != nil {
			t.Fatal(err)
		}
		orig := w.Clone()
		ref, err := model.Build(orig, model.Stages{})
		if err != nil {
			t.Fatal(err)
		}
		toks := heldout(t)[:50]
		want := make([]float32, len(toks)*ref.Config.PaddedVocab)
		if err := ref.Forward(ref.NewState(), toks, want); err != nil {
			t.Fatal(err)
		}
		for _, fail := range []bool{false, true} {
			err := withEngine(w, model.Stages{}, func(m *model.Model) error {
				if w.Layers[0].InProj != nil || w.LMHead != nil {
					t.Error("projection tensors are still held by the weights while the engine runs")
				}
				got := make([]float32, len(want))
				if err := m.Forward(m.NewState(), toks, got); err != nil {
					return err
				}
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("%s: logit %d is %v, plain engine %v", name, j, got[j], want[j])
					}
				}
				if fail {
					return errors.New("stop")
				}
				return nil
			})
			if fail != (err != nil) {
				t.Fatalf("%s: withEngine returned %v", name, err)
			}
			for _, ti := range w.Tensors() {
				a, err1 := w.Tensor(ti.Name)
				b, err2 := orig.Tensor(ti.Name)
				if err1 != nil || err2 != nil || !slices.Equal(a, b) {
					t.Fatalf("%s: tensor %s not restored (%v, %v)", name, ti.Name, err1, err2)
				}
			}
		}
	}
}

// TestWithEngineLazyLMHead checks that a pass computing no logits leaves
// lm_head unpacked: the weights get back the very slice they gave.
func TestWithEngineLazyLMHead(t *testing.T) {
	w := bundled(t, "mamba2-shakespeare")
	if err := Untie(w); err != nil {
		t.Fatal(err)
	}
	head := w.LMHead
	orig := slices.Clone(head)
	err := withEngine(w, model.Stages{}, func(m *model.Model) error {
		return m.Forward(m.NewState(), heldout(t)[:20], nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.LMHead) != len(head) || &w.LMHead[0] != &head[0] || !slices.Equal(w.LMHead, orig) {
		t.Fatal("lm_head was packed and copied back by a pass without logits")
	}
}
