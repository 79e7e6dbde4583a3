package model

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var bench struct {
	once   sync.Once
	models map[string]*Model
	err    error
}

// availableMemory returns MemAvailable from /proc/meminfo in bytes, or -1.
func availableMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return -1
}

// benchModel builds a preset with random weights, once per process.
func benchModel(b *testing.B, name string) *Model {
	b.Helper()
	bench.once.Do(func() { bench.models = map[string]*Model{} })
	if m := bench.models[name]; m != nil {
		return m
	}
	cfg, err := Preset(name)
	if err != nil {
		b.Fatal(err)
	}
	infos, _ := TensorInfos(cfg)
	var bytes int64
	for _, ti := range infos {
		n := int64(4)
		for _, d := range ti.Shape {
			n *= int64(d)
		}
		bytes += n
	}
	if avail := availableMemory(); avail >= 0 && avail < 2*bytes {
		b.Skipf("%s needs %d MB, %d MB available", name, bytes>>20, avail>>20)
	}
	init, err := RandomTensors(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(cfg, init)
	if err != nil {
		b.Fatal(err)
	}
	bench.models[name] = m
	return m
}

// BenchmarkPrefill measures sequence mode on a 256-token prompt (last-token
// logits), reported as tokens/s.
func BenchmarkPrefill(b *testing.B) {
	for _, name := range []string{"mamba-130m", "mamba2-130m"} {
		b.Run(name, func(b *testing.B) {
			m := benchModel(b, name)
			toks := randomTokens(256, m.Config.VocabSize, 1)
			s := m.NewState()
			logits := make([]float32, m.Config.PaddedVocab)
			b.ResetTimer()
			for b.Loop() {
				s.Reset()
				if err := m.Forward(s, toks, logits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(toks)*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkDecode measures step mode with logits, reported as tokens/s.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"mamba-130m", "mamba2-130m"} {
		b.Run(name, func(b *testing.B) {
			m := benchModel(b, name)
			s := m.NewState()
			logits := make([]float32, m.Config.PaddedVocab)
			if err := m.Forward(s, randomTokens(16, m.Config.VocabSize, 2), logits); err != nil {
				b.Fatal(err)
			}
			tok := 0
			b.ResetTimer()
			for b.Loop() {
				if err := m.Step(s, tok, logits); err != nil {
					b.Fatal(err)
				}
				tok = (tok + 7919) % m.Config.VocabSize
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func ExamplePreset() {
	cfg, _ := Preset("mamba2-130m")
	fmt.Println(cfg.NLayer, cfg.DModel, cfg.NHeads, cfg.DState, cfg.PaddedVocab)
	// Output: 24 768 24 128 50288
}
