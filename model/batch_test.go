package model

import (
	"math"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/race"
)

// A batch step equals separate steps of each sequence: same state
// afterwards (to the last bits of the projections) and the same logits.
func TestBatchStepMatchesSteps(t *testing.T) {
	for _, cfg := range []formats.Config{testConfig(formats.Mamba1, 0), testConfig(formats.Mamba2, 2)} {
		t.Run(string(cfg.Arch), func(t *testing.T) {
			m, _ := newTestModel(t, cfg)
			V, B := cfg.PaddedVocab, 5
			single, batched := make([]*State, B), make([]*State, B)
			for r := range B {
				single[r], batched[r] = m.NewState(), m.NewState()
				prompt := randomTokens(3+r, cfg.VocabSize, uint64(40+r))
				if err := m.Forward(single[r], prompt, nil); err != nil {
					t.Fatal(err)
				}
				if err := batched[r].CopyFrom(single[r]); err != nil {
					t.Fatal(err)
				}
			}
			bt, err := m.NewBatch(B)
			if err != nil {
				t.Fatal(err)
			}
			want, got := make([]float32, B*V), make([]float32, B*V)
			for step := range 4 {
				toks := randomTokens(B, cfg.VocabSize, uint64(70+step))
				for r := range B {
					if err := m.Step(single[r], toks[r], want[r*V:(r+1)*V]); err != nil {
						t.Fatal(err)
					}
				}
				if err := bt.Step(batched, toks, got); err != nil {
					t.Fatal(err)
				}
				for j := range want {
					if d := math.Abs(float64(want[j] - got[j])); d > 1e-4*(1+math.Abs(float64(want[j]))) {
						t.Fatalf("step %d row %d logit %d: batch %v, single %v", step, j/V, j%V, got[j], want[j])
					}
				}
			}
			// The race detector's instrumentation allocates.
			if n := testing.AllocsPerRun(10, func() { _ = bt.Step(batched, []int{1, 2, 3, 4, 5}, got) }); n != 0 && !race.Enabled {
				t.Errorf("batch step allocates %v times", n)
			}
			wantErr(t, bt.Step(batched[:2], []int{1}, nil), "2 states")
			wantErr(t, bt.Step([]*State{batched[0], batched[0]}, []int{1, 1}, nil), "the same")
			wantErr(t, bt.Step(make([]*State, B+1), make([]int, B+1), nil), "capacity")
			other, _ := newTestModel(t, cfg)
			wantErr(t, bt.Step([]*State{other.NewState()}, []int{1}, nil), "another model")
		})
	}
}

// A saved state restores the exact continuation; bad buffers are refused.
func TestStateSaveRestore(t *testing.T) {
	for _, cfg := range []formats.Config{testConfig(formats.Mamba1, 0), testConfig(formats.Mamba2, 2)} {
		m, _ := newTestModel(t, cfg)
		V := cfg.PaddedVocab
		a := m.NewState()
		if err := m.Forward(a, randomTokens(9, cfg.VocabSize, 3), nil); err != nil {
			t.Fatal(err)
		}
		saved, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(saved) != m.StateBytes() {
			t.Fatalf("saved %d bytes, StateBytes %d", len(saved), m.StateBytes())
		}
		b := m.NewState()
		if err := b.UnmarshalBinary(saved); err != nil {
			t.Fatal(err)
		}
		la, lb := make([]float32, V), make([]float32, V)
		for _, tok := range []int{5, 7, 1} {
			_ = m.Step(a, tok, la)
			_ = m.Step(b, tok, lb)
			for j := range la {
				if la[j] != lb[j] {
					t.Fatalf("%s: restored state continues differently at logit %d", cfg.Arch, j)
				}
			}
		}
		wantErr(t, b.UnmarshalBinary(saved[:len(saved)-4]), "bytes")
		wantErr(t, b.UnmarshalBinary(saved[:10]), "header")
		wantErr(t, b.UnmarshalBinary(saved[:3]), "magic")
		bad := append([]byte(nil), saved...)
		bad[len(bad)-1] = 0x7f
		bad[len(bad)-2] = 0xc0
		wantErr(t, b.UnmarshalBinary(bad), "non-finite")
		other := testConfig(formats.Mamba1, 0)
		if cfg.Arch == formats.Mamba1 {
			other = testConfig(formats.Mamba2, 2)
		}
		om, _ := newTestModel(t, other)
		if err := om.NewState().UnmarshalBinary(saved); err == nil {
			t.Errorf("%s: a state of another architecture was accepted", cfg.Arch)
		}
	}
}
