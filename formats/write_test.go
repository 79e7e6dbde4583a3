package formats

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleTensors() map[string]TensorData {
	f := []float32{1.5, -2.25, float32(math.Pi), 1e-7, 65519, float32(math.Copysign(0, -1))}
	return map[string]TensorData{
		"f32":    Float32Tensor(f, 2, 3),
		"f16":    {DType: F16, Shape: []int{3, 2}, F32: f},
		"bf16":   {DType: BF16, Shape: []int{6}, F32: f},
		"i8":     {DType: I8, Shape: []int{4}, I8: []int8{-128, -1, 0, 127}},
		"u8":     {DType: U8, Shape: []int{2}, U8: []uint8{0, 255}},
		"i32":    {DType: I32, Shape: []int{2, 1}, I32: []int32{math.MinInt32, 1 << 30}},
		"scalar": Float32Tensor([]float32{7}),
		"empty":  Float32Tensor([]float32{}, 0, 4),
	}
}

// wantStored is what a reader must return for each sample tensor: the F16
// and BF16 values are rounded with the torch-checked conversions.
func wantStored(t TensorData) []float32 {
	out := make([]float32, t.numel())
	switch t.DType {
	case F16:
		for i, v := range t.F32 {
			out[i] = f16ToF32()[f32ToF16(v)]
		}
	case BF16:
		for i, v := range t.F32 {
			out[i] = math.Float32frombits(uint32(f32ToBF16(v)) << 16)
		}
	case I8:
		for i, v := range t.I8 {
			out[i] = float32(v)
		}
	case U8:
		for i, v := range t.U8 {
			out[i] = float32(v)
		}
	case I32:
		for i, v := range t.I32 {
			out[i] = float32(v)
		}
	default:
		copy(out, t.F32)
	}
	return out
}

func checkRoundTrip(t *testing.T, ck Checkpoint, tensors map[string]TensorData) {
	t.Helper()
	if got, want := ck.Names(), sortedKeys(tensors); !reflect.DeepEqual(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	for name, td := range tensors {
		info, _ := ck.Info(name)
		if info.DType != td.DType || !shapeEqual(info.Shape, td.Shape) {
			t.Errorf("%s: info %+v, want %s %v", name, info, td.DType, td.Shape)
		}
		got, shape, err := ck.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		want := wantStored(td)
		if !shapeEqual(shape, td.Shape) || len(got) != len(want) {
			t.Fatalf("%s: shape %v len %d", name, shape, len(got))
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
		if rr, ok := ck.(RawReader); ok {
			_, raw, err := rr.Raw(name)
			if err != nil || !bytes.Equal(raw, td.bytesOf()) {
				t.Errorf("%s: raw bytes %x, want %x (%v)", name, raw, td.bytesOf(), err)
			}
		}
	}
}

func TestSafetensorsWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.safetensors")
	tensors := sampleTensors()
	md := map[string]string{"format": "pt", "quamba": "1"}
	if err := WriteSafetensors(p, tensors, md); err != nil {
		t.Fatal(err)
	}
	st, err := OpenSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkRoundTrip(t, st, tensors)
	if !reflect.DeepEqual(st.Metadata(), md) {
		t.Errorf("metadata %v", st.Metadata())
	}
	// Deterministic: a second write gives the same bytes.
	p2 := filepath.Join(dir, "y.safetensors")
	if err := WriteSafetensors(p2, tensors, md); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(p)
	b, _ := os.ReadFile(p2)
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same tensors differ")
	}
}

func TestPyTorchWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pytorch_model.bin")
	tensors := sampleTensors()
	tensors["f32_alias"] = tensors["f32"] // shares one storage
	if err := WritePyTorch(p, tensors); err != nil {
		t.Fatal(err)
	}
	pt, err := OpenPyTorch(p)
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	checkRoundTrip(t, pt, tensors)
	if pt.tensors["f32"].storage != pt.tensors["f32_alias"].storage {
		t.Error("tensors with one slice were not saved sharing a storage")
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		off, _ := f.DataOffset()
		if off%zipAlign != 0 {
			t.Errorf("%s data at offset %d, not %d-aligned", f.Name, off, zipAlign)
		}
		names = append(names, f.Name)
	}
	if names[0] != "archive/data.pkl" || names[len(names)-1] != "archive/version" {
		t.Errorf("records %v", names)
	}
}

// tinyConfig is a small model of either architecture and convention.
func tinyConfig(arch Arch, conv Convention) Config {
	c := Config{Arch: arch, Convention: conv, DModel: 8, NLayer: 2, VocabSize: 10, PadVocabSizeMultiple: 8,
		DState: 4, DConv: 4, Expand: 2, DInner: 16, DtLimitMax: math.Inf(1), ConvBias: true,
		RMSNorm: true, ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5}
	c.PaddedVocab = 16
	if conv == HuggingFace {
		c.VocabSize = 16
	}
	if arch == Mamba1 {
		c.DtRank = 2
	} else {
		c.HeadDim, c.NHeads, c.NGroups, c.ChunkSize = 4, 4, 2, 8
	}
	return c
}

func randomModel(c Config, seed int) map[string]TensorData {
	m := map[string]TensorData{}
	for i, name := range sortedKeys(c.TensorShapes()) {
		shape := c.TensorShapes()[name]
		n, _ := checkedProduct(shape, maxElements)
		v := make([]float32, n)
		for j := range v {
			v[j] = float32(math.Sin(float64(seed*1000+i*37+j))) * 2
		}
		m[name] = Float32Tensor(v, shape...)
	}
	return m
}

func TestWriteModelRoundTrip(t *testing.T) {
	for _, arch := range []Arch{Mamba1, Mamba2} {
		for _, conv := range []Convention{StateSpaces, HuggingFace} {
			for _, tied := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s-%s-tied=%v", arch, conv, tied), func(t *testing.T) {
					c := tinyConfig(arch, conv)
					c.TieEmbeddings = tied
					tensors := randomModel(c, 1)
					if tied {
						delete(tensors, LMHeadName)
					}
					dir := filepath.Join(t.TempDir(), "model")
					if err := WriteModel(dir, c, tensors); err != nil {
						t.Fatal(err)
					}
					m, err := OpenModel(dir)
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					if !reflect.DeepEqual(m.Config, c) {
						t.Errorf("config %+v\nwant   %+v", m.Config, c)
					}
					for name, shape := range c.TensorShapes() {
						src, ok := tensors[name]
						if !ok {
							src = tensors[EmbeddingName]
						}
						got, err := m.Tensor(name, shape...)
						if err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(got, src.F32) {
							t.Errorf("%s differs after the round trip", name)
						}
					}
					_, hasLM := m.Checkpoint.Info(LMHeadName)
					_, hasHFEmb := m.Checkpoint.Info(hfEmbeddingName)
					switch conv {
					case StateSpaces:
						if !hasLM || hasHFEmb {
							t.Errorf("state-spaces file: lm_head stored %v, plural embedding %v", hasLM, hasHFEmb)
						}
						if pt := m.Checkpoint.(*PyTorch); tied && pt.tensors[LMHeadName].storage != pt.tensors[EmbeddingName].storage {
							t.Error("tied lm_head does not share the embedding storage")
						}
					case HuggingFace:
						if hasLM == tied || !hasHFEmb {
							t.Errorf("hugging face file: lm_head stored %v, plural embedding %v", hasLM, hasHFEmb)
						}
					}
				})
			}
		}
	}
}

func TestWriteModelErrors(t *testing.T) {
	c := tinyConfig(Mamba1, StateSpaces)
	for _, tc := range []struct {
		name string
		edit func(map[string]TensorData)
		want string
	}{
		{"missing", func(m map[string]TensorData) { delete(m, "backbone.layers.0.mixer.D") }, `"backbone.layers.0.mixer.D" missing`},
		{"extra", func(m map[string]TensorData) { m["backbone.layers.5.mixer.D"] = Float32Tensor([]float32{1}, 1) }, `"backbone.layers.5.mixer.D" is not part`},
		{"shape", func(m map[string]TensorData) { m[NormFName] = Float32Tensor(make([]float32, 8), 2, 4) }, "has shape [2 4]"},
		{"short data", func(m map[string]TensorData) { m[NormFName] = Float32Tensor(make([]float32, 7), 8) }, "needs 8 values"},
		{"tied lm_head differs", func(m map[string]TensorData) {
			m[LMHeadName] = Float32Tensor(make([]float32, 16*8), 16, 8)
		}, `"lm_head.weight" differs`},
		{"int dtype", func(m map[string]TensorData) {
			m[NormFName] = TensorData{DType: I8, Shape: []int{8}, I8: make([]int8, 8)}
		}, "want F32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := randomModel(c, 2)
			delete(m, LMHeadName) // tied
			tc.edit(m)
			dir := t.TempDir()
			err := WriteModel(dir, c, m)
			wantErr(t, err, dir, tc.want)
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("failed write left files: %v", ents)
			}
		})
	}
}

func TestWriteLeavesNoTempOnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.safetensors")
	bad := map[string]TensorData{"a": {DType: "F7", Shape: []int{1}, F32: []float32{1}}}
	if err := WriteSafetensors(p, bad, nil); err == nil {
		t.Fatal("unknown dtype accepted")
	}
	if err := WritePyTorch(p, bad); err == nil {
		t.Fatal("unknown dtype accepted")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left files: %v", ents)
	}
}

func TestInspect(t *testing.T) {
	in, err := Inspect("testdata/tiny-mamba-hf-sharded")
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != "safetensors (sharded)" || in.Config == nil || in.Config.Arch != Mamba1 {
		t.Errorf("inspection %+v", in)
	}
	if in.Params != in.Config.ParamCount() || in.ByDType[F32] != in.Params || in.Bytes != 4*in.Params {
		t.Errorf("params %d bytes %d by dtype %v, config counts %d", in.Params, in.Bytes, in.ByDType, in.Config.ParamCount())
	}
	in, err = Inspect("testdata/tiny-mamba-ss-sharded-bin/pytorch_model.bin.index.json")
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != "pytorch (sharded)" || in.Config != nil || len(in.Tensors) != 13 {
		t.Errorf("inspection %+v", in)
	}
	in, err = Inspect("testdata/torch_mixed.bin")
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != "pytorch" || in.Config != nil || len(in.Tensors) != 16 {
		t.Errorf("inspection %+v", in)
	}
}

// A tied torch checkpoint stores the embedding once and views it twice:
// Bytes counts the storage once, Params the elements per name.
func TestInspectCountsSharedStorageOnce(t *testing.T) {
	in, err := Inspect("testdata/tiny-mamba2-ss")
	if err != nil {
		t.Fatal(err)
	}
	cfg := in.Config
	if in.Format != "pytorch" || cfg == nil || !cfg.TieEmbeddings || len(in.ByDType) != 1 {
		t.Fatalf("inspection %+v", in)
	}
	es := int64(in.Tensors[0].DType.Size()) // one dtype throughout
	emb := int64(cfg.PaddedVocab * cfg.DModel)
	if in.Params != cfg.ParamCount()+emb {
		t.Errorf("params %d, want %d per name (%d + the tied lm_head's %d)", in.Params, cfg.ParamCount()+emb, cfg.ParamCount(), emb)
	}
	if in.Bytes != es*cfg.ParamCount() {
		t.Errorf("bytes %d, want %d (each stored element once)", in.Bytes, es*cfg.ParamCount())
	}
	zr, err := zip.OpenReader("testdata/tiny-mamba2-ss/pytorch_model.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var records int64
	for _, f := range zr.File {
		if strings.Contains(f.Name, "/data/") {
			records += int64(f.UncompressedSize64)
		}
	}
	if in.Bytes != records {
		t.Errorf("bytes %d, storage records hold %d", in.Bytes, records)
	}

	// Safetensors: the data section, header excluded.
	in, err = Inspect("testdata/hand.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/hand.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(b)) - 8 - int64(binary.LittleEndian.Uint64(b)); in.Bytes != want {
		t.Errorf("safetensors bytes %d, data section %d", in.Bytes, want)
	}
}
