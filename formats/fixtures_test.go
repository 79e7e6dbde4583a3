package formats

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

type expectedTensor struct {
	DType  DType     `json:"dtype"`
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

// loadExpected reads testdata/expected.json, written by
// tools/reference/fixtures_formats.py from torch's own view of each tensor.
func loadExpected(t testing.TB) map[string]map[string]expectedTensor {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	m := map[string]map[string]expectedTensor{}
	for k, v := range raw {
		if k == "rounding" {
			continue
		}
		var e map[string]expectedTensor
		if err := json.Unmarshal(v, &e); err != nil {
			t.Fatal(err)
		}
		m[k] = e
	}
	return m
}

// TestRoundingMatchesTorch compares float32 -> float16/bfloat16 rounding
// with torch's on edge cases (ties, overflow, subnormals, infinities).
func TestRoundingMatchesTorch(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rounding struct {
			Input []int32  `json:"input_bits"`
			F16   []uint16 `json:"f16_bits"`
			BF16  []uint16 `json:"bf16_bits"`
		} `json:"rounding"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Rounding
	if len(r.Input) < 200 || len(r.F16) != len(r.Input) || len(r.BF16) != len(r.Input) {
		t.Fatalf("rounding vectors missing")
	}
	for i, bits := range r.Input {
		f := math.Float32frombits(uint32(bits))
		if got := f32ToF16(f); got != r.F16[i] {
			t.Errorf("f16(%v) = %#04x, torch %#04x", f, got, r.F16[i])
		}
		if got := f32ToBF16(f); got != r.BF16[i] {
			t.Errorf("bf16(%v) = %#04x, torch %#04x", f, got, r.BF16[i])
		}
	}
}

// checkValues requires bit-exact float32 equality (NaN-free fixtures).
func checkValues(t *testing.T, name string, got []float32, gotShape []int, want expectedTensor) {
	t.Helper()
	if !shapeEqual(gotShape, want.Shape) {
		t.Errorf("%s: shape %v, want %v", name, gotShape, want.Shape)
		return
	}
	if len(got) != len(want.Values) {
		t.Errorf("%s: %d values, want %d", name, len(got), len(want.Values))
		return
	}
	for i, w := range want.Values {
		if math.Float32bits(got[i]) != math.Float32bits(float32(w)) {
			t.Errorf("%s[%d] = %v, want %v", name, i, got[i], float32(w))
			return
		}
	}
}

func checkFixtureFile(t *testing.T, path, key string) {
	want := loadExpected(t)[key]
	if len(want) == 0 {
		t.Fatalf("no expectations for %s", key)
	}
	ck, err := OpenCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if got := ck.Names(); len(got) != len(want) {
		t.Errorf("names %v: want %d tensors", got, len(want))
	}
	for name, w := range want {
		info, ok := ck.Info(name)
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		if info.DType != w.DType || !shapeEqual(info.Shape, w.Shape) || info.Name != name {
			t.Errorf("%s: info %+v, want %s %v", name, info, w.DType, w.Shape)
		}
		data, shape, err := ck.Float32(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkValues(t, name, data, shape, w)
	}
}

func TestPyTorchFixture(t *testing.T) {
	checkFixtureFile(t, "testdata/torch_mixed.bin", "torch_mixed.bin")
}

func TestPyTorchWrapped(t *testing.T) {
	checkFixtureFile(t, "testdata/torch_wrapped_state_dict.bin", "torch_wrapped_state_dict.bin")
	checkFixtureFile(t, "testdata/torch_wrapped_model.bin", "torch_wrapped_model.bin")
}

func TestSafetensorsFixture(t *testing.T) {
	checkFixtureFile(t, "testdata/hand.safetensors", "hand.safetensors")
	st, err := OpenSafetensors("testdata/hand.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if md := st.Metadata(); md["format"] != "pt" || md["source"] != "fixtures_formats.py" {
		t.Errorf("metadata %v", md)
	}
}

func TestPyTorchRawIntegers(t *testing.T) {
	p, err := OpenPyTorch("testdata/torch_mixed.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	info, raw, err := p.Raw("i8")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x80, 0xff, 0, 5, 127}
	if info.DType != I8 || string(raw) != string(want) {
		t.Errorf("i8 raw %v %x, want %x", info, raw, want)
	}
	// A transposed view comes back row-major.
	_, raw, err = p.Raw("f16_transposed")
	if err != nil {
		t.Fatal(err)
	}
	vals, _, _ := p.Float32("f16_transposed")
	got := make([]float32, len(vals))
	if err := decodeFloat32(got, raw, F16); err != nil {
		t.Fatal(err)
	}
	for i := range vals {
		if got[i] != vals[i] {
			t.Fatalf("raw and float32 views disagree at %d", i)
		}
	}
}

func TestOpenModelFixtures(t *testing.T) {
	exp := loadExpected(t)
	for _, dir := range []string{"tiny-mamba2-ss", "tiny-mamba-hf-sharded", "tiny-mamba-ss-sharded-bin"} {
		t.Run(dir, func(t *testing.T) {
			m, err := OpenModel(filepath.Join("testdata", dir))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			want := exp[dir]
			shapes := m.Config.TensorShapes()
			for name, shape := range shapes {
				w, ok := want[name]
				if name == LMHeadName && !ok {
					w = want[EmbeddingName] // tied, not stored
				}
				data, err := m.Tensor(name, shape...)
				if err != nil {
					t.Errorf("%v", err)
					continue
				}
				checkValues(t, name, data, shape, w)
			}
			if len(want) != len(shapes) && len(want)+1 != len(shapes) {
				t.Errorf("expected %d tensors, config lists %d", len(want), len(shapes))
			}
		})
	}
}

// TestConcurrentReads loads every tensor of a model from several
// goroutines at once (run with -race).
func TestConcurrentReads(t *testing.T) {
	for _, dir := range []string{"tiny-mamba2-ss", "tiny-mamba-hf-sharded"} {
		m, err := OpenModel(filepath.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 4)
		for g := 0; g < 4; g++ {
			go func() {
				for name, shape := range m.Config.TensorShapes() {
					if _, err := m.Tensor(name, shape...); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for g := 0; g < 4; g++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Tensor(NormFName); err == nil {
			t.Errorf("%s: read after Close succeeded", dir)
		}
	}
}
