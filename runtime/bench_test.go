package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
)

// benchArtifact compiles a random checkpoint of a preset shape with
// synthetic scales (quant.CompileSynthetic: the speed is real, the scales
// are not) once and caches the artifact in the system's temporary directory.
// A scheme name ending in -state8 adds the int8 SSM state.
func benchArtifact(b *testing.B, preset string, name string) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("quamba-bench-%s-%s.gguf", preset, name))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	sc, state8 := strings.CutSuffix(name, "-state8")
	opt, err := quant.DefaultOptions(quant.Scheme(sc))
	if err != nil {
		b.Fatal(err)
	}
	opt.StateInt8 = state8
	c, err := quant.CompileSynthetic(randomWeights(b, preset), opt)
	if err != nil {
		b.Fatal(err)
	}
	if err := quant.WriteArtifact(path, c, preset); err != nil {
		b.Fatal(err)
	}
	return path
}

func randomWeights(b *testing.B, preset string) *model.Weights {
	cfg, err := model.Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	src, err := model.RandomTensors(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	w, err := model.NewWeights(cfg, src)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

func benchLM(b *testing.B, preset, scheme string) model.LanguageModel {
	if scheme == "fp32" {
		m, err := model.Build(randomWeights(b, preset), model.Stages{})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	rt, err := Open(benchArtifact(b, preset, scheme), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close() })
	return rt
}

// BenchmarkDecode130m: decode tokens of mamba-130m shapes (random weights)
// on the FP32 engine and the runtime; BenchmarkPrefill130m: a 512-token
// prompt.
func BenchmarkDecode130m(b *testing.B) {
	for _, sc := range []string{"fp32", "w8a8", "w8a8-state8", "w4a8", "w4a16"} {
		b.Run(sc, func(b *testing.B) {
			lm := benchLM(b, "mamba-130m", sc)
			_, P := lm.Vocab()
			s := lm.NewSequence()
			logits := make([]float32, P)
			_ = s.Step(1, logits)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				_ = s.Step(i%1000, logits)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkPrefill130m(b *testing.B) {
	for _, sc := range []string{"fp32", "w8a8", "w4a8"} {
		b.Run(sc, func(b *testing.B) {
			lm := benchLM(b, "mamba-130m", sc)
			_, P := lm.Vocab()
			toks := make([]int, 512)
			for i := range toks {
				toks[i] = (i * 7919) % 50000
			}
			logits := make([]float32, P)
			b.ResetTimer()
			for b.Loop() {
				s := lm.NewSequence()
				_ = s.Forward(toks, logits)
			}
			b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkStepBatch130m: one decode token of 16 sessions per StepBatch
// (tokens/s is the aggregate), against Decode130m's single session.
func BenchmarkStepBatch130m(b *testing.B) {
	const B = 16
	for _, sc := range []string{"w8a8", "w4a8", "w4a16"} {
		b.Run(sc, func(b *testing.B) {
			rt, err := Open(benchArtifact(b, "mamba-130m", sc), Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { rt.Close() })
			_, P := rt.Vocab()
			ss, toks := make([]*Session, B), make([]int, B)
			for r := range ss {
				ss[r] = rt.NewSession()
				_ = ss[r].Step(r+1, nil)
			}
			logits := make([]float32, B*P)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				for r := range toks {
					toks[r] = (i*B + r) % 1000
				}
				if err := rt.StepBatch(ss, toks, logits); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(B*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
