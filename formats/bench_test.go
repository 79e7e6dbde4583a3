package formats

import (
	"path/filepath"
	"testing"
)

// mamba130m builds the mamba-130m configuration in the given convention
// with deterministic weights (516 MB of float32).
func mamba130m(b *testing.B, conv Convention) (Config, map[string]TensorData, int64) {
	cfg, err := ReadConfig("testdata/configs/state-spaces-mamba-130m.json")
	if err != nil {
		b.Fatal(err)
	}
	if conv == HuggingFace {
		cfg.Convention, cfg.VocabSize = HuggingFace, cfg.PaddedVocab
		cfg.PadVocabSizeMultiple = 1
	}
	m := randomModel(cfg, 3)
	delete(m, LMHeadName)
	var n int64
	for _, t := range m {
		n += int64(4 * len(t.F32))
	}
	return cfg, m, n
}

func benchWrite(b *testing.B, conv Convention) {
	cfg, tensors, n := mamba130m(b, conv)
	dir := b.TempDir()
	b.SetBytes(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteModel(filepath.Join(dir, "m"), cfg, tensors); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, conv Convention) {
	cfg, tensors, n := mamba130m(b, conv)
	dir := filepath.Join(b.TempDir(), "m")
	if err := WriteModel(dir, cfg, tensors); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := OpenModel(dir)
		if err != nil {
			b.Fatal(err)
		}
		for name, shape := range cfg.TensorShapes() {
			if _, err := m.Tensor(name, shape...); err != nil {
				b.Fatal(err)
			}
		}
		m.Close()
	}
}

// Full mamba-130m model (516 MB float32): WriteModel, and OpenModel plus
// Tensor for every weight, in both conventions.
func BenchmarkWriteMamba130mPyTorch(b *testing.B)     { benchWrite(b, StateSpaces) }
func BenchmarkWriteMamba130mSafetensors(b *testing.B) { benchWrite(b, HuggingFace) }
func BenchmarkReadMamba130mPyTorch(b *testing.B)      { benchRead(b, StateSpaces) }
func BenchmarkReadMamba130mSafetensors(b *testing.B)  { benchRead(b, HuggingFace) }

// BenchmarkDecodeF16 measures float16 -> float32 conversion.
func BenchmarkDecodeF16(b *testing.B) {
	src := make([]byte, 2<<20)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]float32, len(src)/2)
	decodeFloat32(dst, src, F16)
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		decodeFloat32(dst, src, F16)
	}
}
