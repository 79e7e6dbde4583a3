package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// TestQuantizeThenEvalAndGenerate runs the compiler from the CLI, then
// eval, generate and inspect on the artifact it wrote.
func TestQuantizeThenEvalAndGenerate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.gguf")
	held := filepath.Join("..", "..", "testdata", "shakespeare-heldout.txt")
	log, err := run(t, "quantize", "--model", modelPath(t, "mamba1-shakespeare"), "--scheme", "w8a8",
		"--samples", "16", "--seqlen", "256", "--out", out, "--eval", held, "--quiet")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	for _, want := range []string{"bits per weight", "time calibrate", "perplexity on"} {
		if !strings.Contains(log, want) {
			t.Errorf("quantize output lacks %q:\n%s", want, log)
		}
	}
	ev, err := run(t, "eval", "--model", out, "--text", held, "--quiet")
	if err != nil {
		t.Fatalf("%v\n%s", err, ev)
	}
	if !strings.Contains(ev, "(runtime)") {
		t.Errorf("eval of an artifact does not say it ran the int8 runtime:\n%s", ev)
	}
	ppl, err := strconv.ParseFloat(field(t, ev, "perplexity"), 64)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := run(t, "eval", "--model", out, "--text", held, "--quiet", "--simulate")
	if err != nil || !strings.Contains(sim, "(simulation)") {
		t.Fatalf("eval --simulate: %v\n%s", err, sim)
	}
	simPPL, err := strconv.ParseFloat(field(t, sim, "perplexity"), 64)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ppl/simPPL-1) > 0.001 {
		t.Errorf("runtime perplexity %v, simulation %v: more than 0.1%% apart", ppl, simPPL)
	}
	fp := readGolden(t, modelPath(t, "mamba1-shakespeare")).Perplexity.PPL
	if math.Abs(ppl/fp-1) > 0.005 {
		t.Errorf("w8a8 artifact perplexity %v, FP32 %v: more than 0.5%% apart", ppl, fp)
	}
	gen, err := run(t, "generate", "--model", out, "--prompt", "ROMEO:", "--max-tokens", "16", "--temperature", "0")
	if err != nil || len(gen) < 10 {
		t.Fatalf("generate: %v\n%s", err, gen)
	}
	in, err := run(t, "inspect", out)
	if err != nil || !strings.Contains(in, "general.architecture") || !strings.Contains(in, "quamba.scheme") {
		t.Fatalf("inspect: %v\n%s", err, in)
	}
}

func TestQuantizeErrors(t *testing.T) {
	dir := t.TempDir()
	m1 := modelPath(t, "mamba1-shakespeare")
	short := filepath.Join(dir, "short.txt")
	os.WriteFile(short, []byte("too short"), 0o644)
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)

	// A model whose d_model (36) is no Hadamard length.
	cfg := formats.Config{Arch: formats.Mamba1, Convention: formats.StateSpaces, DModel: 36, NLayer: 1, VocabSize: 256,
		PaddedVocab: 256, PadVocabSizeMultiple: 8, DState: 4, DConv: 4, Expand: 2, DInner: 72, DtRank: 3, ConvBias: true,
		RMSNorm: true, ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5}
	init, err := model.RandomTensors(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	tensors, err := init.TensorData()
	if err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "odd")
	if err := formats.WriteModel(odd, cfg, tensors); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--model", odd, "--scheme", "w8a8"}, []string{"d_model 36", "K*2^m"}},
		{[]string{"--model", m1, "--calib", short, "--seqlen", "512"}, []string{"short.txt"}},
		{[]string{"--model", m1, "--calib", empty}, []string{"empty.jsonl"}},
		{[]string{"--model", m1, "--scheme", "w2a2"}, []string{"unknown scheme"}},
		{[]string{"--model", m1, "--out", filepath.Join(dir, "missing", "x.gguf")}, []string{"cannot be written"}},
		{[]string{"--model", m1, "--out", dir}, []string{"not a regular file"}},
	} {
		out := filepath.Join(dir, "out.gguf")
		args := append([]string{"quantize", "--quiet", "--out", out}, tc.args...)
		log, err := run(t, args...)
		if err == nil {
			t.Errorf("quantize %v: no error\n%s", tc.args, log)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("quantize %v: error %q does not mention %q", tc.args, err, w)
			}
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("quantize %v failed but left %s behind", tc.args, out)
		}
	}
}

// quantize does not overwrite an existing artifact, given with --out or
// at the default path, unless --force is passed.
func TestQuantizeRefusesToOverwrite(t *testing.T) {
	m1, err := filepath.Abs(modelPath(t, "mamba1-shakespeare"))
	if err != nil {
		t.Fatal(err)
	}
	calibText, err := filepath.Abs(filepath.Join("..", "..", "testdata", "shakespeare-calib.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keep := []byte("not to be overwritten")
	unchanged := func(p string) {
		t.Helper()
		if data, err := os.ReadFile(p); err != nil || string(data) != string(keep) {
			t.Errorf("%s was overwritten without --force", p)
		}
	}
	out := filepath.Join(dir, "m.gguf")
	if err := os.WriteFile(out, keep, 0o644); err != nil {
		t.Fatal(err)
	}
	small := []string{"--model", m1, "--calib", calibText, "--allow-fewer", "--samples", "4", "--seqlen", "64", "--no-eval", "--quiet"}
	_, err = run(t, append([]string{"quantize", "--out", out}, small...)...)
	if err == nil || !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("quantize over an existing --out: error %v, want one naming %s and --force", err, out)
	}
	unchanged(out)

	t.Chdir(dir)
	def := "mamba1-shakespeare-w8a8.gguf"
	if err := os.WriteFile(def, keep, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, append([]string{"quantize"}, small...)...)
	if err == nil || !strings.Contains(err.Error(), def) {
		t.Errorf("quantize over an existing default artifact: error %v, want one naming %s", err, def)
	}
	unchanged(def)

	if log, err := run(t, append([]string{"quantize", "--force", "--out", out}, small...)...); err != nil {
		t.Fatalf("quantize --force: %v\n%s", err, log)
	}
	if data, err := os.ReadFile(out); err != nil || string(data) == string(keep) {
		t.Errorf("quantize --force did not overwrite %s", out)
	}
}
