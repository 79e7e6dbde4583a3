package model

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/quamba/quamba/formats"
)

// scaleCodec is an int8 state cache with one scale per layer, written here
// from the formula: q = sat8(RNE(float32(h·(1/s)))), h = float32(q)·s.
type scaleCodec struct{ scale []float32 }

func quant8(h, inv float32) int8 {
	v := float64(h * inv)
	switch {
	case math.IsNaN(v) || v >= 127:
		return 127
	case v <= -128:
		return -128
	}
	return int8(math.RoundToEven(v))
}

func (c scaleCodec) Encode(layer, off int, h []float32, q []int8) {
	inv := 1 / c.scale[layer]
	for j, v := range h {
		q[j] = quant8(v, inv)
	}
}

func (c scaleCodec) Decode(layer, off int, q []int8, h []float32) {
	for j, v := range q {
		h[j] = float32(v) * c.scale[layer]
	}
}

// fakeQuantSaved quantizes and dequantizes the SSM states inside a saved
// float32 state b (the version 2 layout) with the codec's formula.
func fakeQuantSaved(b []byte, cfg formats.Config, c scaleCodec) {
	convLen, ssm := convDim(cfg)*cfg.DConv, ssmLen(cfg)
	body := b[stateHeader:]
	for i := range cfg.NLayer {
		lb := body[i*4*(convLen+ssm)+4*convLen:]
		inv := 1 / c.scale[i]
		for j := range ssm {
			h := math.Float32frombits(binary.LittleEndian.Uint32(lb[4*j:]))
			binary.LittleEndian.PutUint32(lb[4*j:], math.Float32bits(float32(quant8(h, inv))*c.scale[i]))
		}
	}
}

// An engine with a StateCodec keeps int8 codes between calls: each Step,
// and each chunk of a Forward, continues from the decoded state and leaves
// the encoded one. The float32 engine with its state quantized from the
// outside after every call (through a saved state) must give the same bits.
func TestStateCodecMatchesQuantizedFloatState(t *testing.T) {
	for _, cfg := range []formats.Config{testConfig(formats.Mamba1, 0), testConfig(formats.Mamba2, 2)} {
		t.Run(string(cfg.Arch), func(t *testing.T) {
			src := testSource(t, cfg, 5)
			w, err := NewWeights(cfg, src)
			if err != nil {
				t.Fatal(err)
			}
			codec := scaleCodec{make([]float32, cfg.NLayer)}
			for i := range codec.scale {
				codec.scale[i] = 0.002 * float32(i+1)
			}
			mf, err := Build(w, Stages{})
			if err != nil {
				t.Fatal(err)
			}
			mq, err := Build(w, Stages{State: codec})
			if err != nil {
				t.Fatal(err)
			}
			sf, sq := mf.NewState(), mq.NewState()
			quantize := func() {
				b, err := sf.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				fakeQuantSaved(b, cfg, codec)
				if err := sf.UnmarshalBinary(b); err != nil {
					t.Fatal(err)
				}
			}
			V := cfg.PaddedVocab
			same := func(what string, a, b []float32) {
				t.Helper()
				for j := range a {
					if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
						t.Fatalf("%s: value %d is %v with the codec, %v with the state quantized outside", what, j, b[j], a[j])
					}
				}
			}
			// A prompt longer than one chunk: the state is stored after
			// each chunk of chunkTokens.
			prompt := make([]int, chunkTokens+37)
			for j := range prompt {
				prompt[j] = (7*j + 3) % cfg.VocabSize
			}
			lf, lq := make([]float32, V), make([]float32, V)
			if err := mf.Forward(sf, prompt[:chunkTokens], nil); err != nil {
				t.Fatal(err)
			}
			quantize()
			if err := mf.Forward(sf, prompt[chunkTokens:], lf); err != nil {
				t.Fatal(err)
			}
			quantize()
			if err := mq.Forward(sq, prompt, lq); err != nil {
				t.Fatal(err)
			}
			same("prompt logits", lf, lq)
			nonzero := false
			for i := range cfg.NLayer {
				same("state after the prompt", sf.SSMState(i), sq.SSMState(i))
				for _, v := range sq.SSMState(i) {
					nonzero = nonzero || v != 0
				}
			}
			if !nonzero {
				t.Fatal("the int8 state is all zero: the scales do not fit the test")
			}
			for step, tok := range []int{4, 9, 1, 30, 2} {
				if err := mf.Step(sf, tok, lf); err != nil {
					t.Fatal(err)
				}
				quantize()
				if err := mq.Step(sq, tok, lq); err != nil {
					t.Fatal(err)
				}
				same("step logits", lf, lq)
				_ = step
			}

			// Saved int8 states are ssm_len bytes per layer and continue
			// exactly; a float32 state does not restore into an int8 one.
			saved, err := sq.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			want := stateHeader + cfg.NLayer*(4*convDim(cfg)*cfg.DConv+ssmLen(cfg))
			if len(saved) != want || mq.StateBytes() != want {
				t.Fatalf("int8 state saved in %d bytes (StateBytes %d), want %d", len(saved), mq.StateBytes(), want)
			}
			r := mq.NewState()
			if err := r.UnmarshalBinary(saved); err != nil {
				t.Fatal(err)
			}
			l2 := make([]float32, V)
			if err := mq.Step(sq, 11, lq); err != nil {
				t.Fatal(err)
			}
			if err := mq.Step(r, 11, l2); err != nil {
				t.Fatal(err)
			}
			same("restored int8 state", lq, l2)
			fb, _ := sf.MarshalBinary()
			wantErr(t, r.UnmarshalBinary(fb), "SSM state bits")
			wantErr(t, sf.UnmarshalBinary(saved), "SSM state bits")
			c := mq.NewState()
			if err := c.CopyFrom(r); err != nil {
				t.Fatal(err)
			}
			same("copied int8 state", r.SSMState(0), c.SSMState(0))
			r.Reset()
			for _, v := range r.SSMState(0) {
				if v != 0 {
					t.Fatal("Reset left an int8 state non-zero")
				}
			}
		})
	}
}

// A saved state of version 1 (float32 SSM state, 40-byte header) is read.
func TestStateReadsVersion1(t *testing.T) {
	cfg := testConfig(formats.Mamba1, 0)
	m, _ := newTestModel(t, cfg)
	s := m.NewState()
	if err := m.Forward(s, []int{1, 2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := s.MarshalBinary()
	v1 := append([]byte(nil), b[:40]...)
	binary.LittleEndian.PutUint32(v1[4:], 1)
	v1 = append(v1, b[44:]...)
	r := m.NewState()
	if err := r.UnmarshalBinary(v1); err != nil {
		t.Fatal(err)
	}
	for i := range cfg.NLayer {
		a, b := s.SSMState(i), r.SSMState(i)
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("layer %d: version 1 state read differently at %d", i, j)
			}
		}
	}
	binary.LittleEndian.PutUint32(v1[4:], 3)
	wantErr(t, r.UnmarshalBinary(v1), "version 3")
}
