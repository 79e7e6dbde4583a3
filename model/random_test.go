package model

import (
	"fmt"
	"math"
	"testing"

	"github.com/quamba/quamba/formats"
)

func TestPresetShapes(t *testing.T) {
	if len(PresetNames()) < 8 {
		t.Fatalf("presets %v", PresetNames())
	}
	// in_proj rows and conv channels from quamba.md §1.3.
	want := map[string][3]int{ // in_proj rows, x_proj rows or conv channels, padded vocab
		"mamba-130m":  {3072, 80, 50280},
		"mamba-370m":  {4096, 96, 50280},
		"mamba-1.4b":  {8192, 160, 50280},
		"mamba-2.8b":  {10240, 192, 50280},
		"mamba2-130m": {3352, 1792, 50288},
		"mamba2-370m": {4384, 2304, 50288},
		"mamba2-1.3b": {8512, 4352, 50288},
		"mamba2-2.7b": {10576, 5376, 50288},
	}
	for name, w := range want {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		infos, err := TensorInfos(cfg)
		if err != nil {
			t.Fatal(err)
		}
		shape := map[string][]int{}
		for _, ti := range infos {
			shape[ti.Name] = ti.Shape
		}
		second := "backbone.layers.0.mixer.x_proj.weight"
		if cfg.Arch == formats.Mamba2 {
			second = "backbone.layers.0.mixer.conv1d.weight"
		}
		got := [3]int{shape["backbone.layers.0.mixer.in_proj.weight"][0], shape[second][0], cfg.PaddedVocab}
		if got != w {
			t.Errorf("%s: got %v, want %v", name, got, w)
		}
		if _, ok := shape["lm_head.weight"]; ok {
			t.Errorf("%s: tied preset lists lm_head.weight", name)
		}
	}
	if _, err := Preset("mamba-9b"); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestRandomInitDistributions(t *testing.T) {
	cfg := testConfig(formats.Mamba1, 0)
	cfg.DModel, cfg.DInner, cfg.DtRank, cfg.DState = 64, 128, 4, 16
	init, err := RandomTensors(cfg, 42)
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) []float32 {
		t.Helper()
		v, err := init.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	meanStd := func(v []float32) (float64, float64) {
		var s, s2 float64
		for _, x := range v {
			s += float64(x)
			s2 += float64(x) * float64(x)
		}
		n := float64(len(v))
		return s / n, math.Sqrt(s2/n - (s/n)*(s/n))
	}
	if _, sd := meanStd(get("backbone.embedding.weight")); math.Abs(sd-0.02) > 0.002 {
		t.Errorf("embedding std %g, want 0.02", sd)
	}
	bound := func(name string, b float64) {
		t.Helper()
		v := get(name)
		var mx float64
		for _, x := range v {
			mx = max(mx, math.Abs(float64(x)))
		}
		if mx > b || mx < 0.9*b {
			t.Errorf("%s: max |w| %g, want just under %g", name, mx, b)
		}
		if _, sd := meanStd(v); math.Abs(sd-b/math.Sqrt(3)) > 0.1*b {
			t.Errorf("%s: std %g, want %g (uniform)", name, sd, b/math.Sqrt(3))
		}
	}
	p := "backbone.layers.1.mixer."
	bound(p+"in_proj.weight", 1/math.Sqrt(64))
	bound(p+"x_proj.weight", 1/math.Sqrt(128))
	bound(p+"dt_proj.weight", 1/math.Sqrt(4))
	bound(p+"conv1d.weight", 0.5)
	bound(p+"out_proj.weight", 1/math.Sqrt(128)/math.Sqrt(2))
	for _, b := range get(p + "dt_proj.bias") {
		if dt := math.Log1p(math.Exp(float64(b))); dt < 1e-3*0.999 || dt > 1e-1*1.001 {
			t.Fatalf("softplus(dt bias) = %g outside [1e-3, 1e-1]", dt)
		}
	}
	for j, a := range get(p + "A_log") {
		if want := math.Log(float64(j%16 + 1)); math.Abs(float64(a)-want) > 1e-6 {
			t.Fatalf("A_log[%d] = %g, want %g", j, a, want)
		}
	}
	for _, name := range []string{p + "D", "backbone.layers.0.norm.weight", "backbone.norm_f.weight"} {
		for _, v := range get(name) {
			if v != 1 {
				t.Fatalf("%s has %g, want 1", name, v)
			}
		}
	}

	// Mamba2: A in [1, 16] per head.
	c2 := testConfig(formats.Mamba2, 2)
	i2, _ := RandomTensors(c2, 1)
	a, _ := i2.Tensor("backbone.layers.0.mixer.A_log")
	for _, v := range a {
		if e := math.Exp(float64(v)); e < 1 || e > 16 {
			t.Fatalf("Mamba2 A = %g outside [1, 16]", e)
		}
	}

	// Deterministic per seed and name; different seeds differ.
	again, _ := RandomTensors(cfg, 42)
	other, _ := RandomTensors(cfg, 43)
	x, _ := again.Tensor(p + "in_proj.weight")
	y, _ := other.Tensor(p + "in_proj.weight")
	ref := get(p + "in_proj.weight")
	same := 0
	for j := range x {
		if x[j] != ref[j] {
			t.Fatal("same seed gives different tensors")
		}
		if y[j] == ref[j] {
			same++
		}
	}
	if same > len(x)/100 {
		t.Error("different seeds give the same tensor")
	}
	if _, err := init.Tensor(p+"in_proj.weight", 3, 3); err == nil {
		t.Error("wrong requested shape accepted")
	}
	if _, err := init.Tensor("backbone.layers.9.norm.weight"); err == nil {
		t.Error("tensor of a missing layer generated")
	}
}

func TestTensorInfosMatchFormats(t *testing.T) {
	cfgs := []formats.Config{}
	for _, name := range PresetNames() {
		cfg, _ := Preset(name)
		cfgs = append(cfgs, cfg)
	}
	for _, tc := range archCases() {
		cfgs = append(cfgs, tc.cfg)
	}
	for _, cfg := range cfgs {
		infos, err := TensorInfos(cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := cfg.TensorShapes()
		if cfg.TieEmbeddings {
			delete(want, "lm_head.weight")
		}
		if len(infos) != len(want) {
			t.Errorf("%s d_model %d: %d tensors, formats lists %d", cfg.Arch, cfg.DModel, len(infos), len(want))
		}
		for _, ti := range infos {
			if fmt.Sprint(ti.Shape) != fmt.Sprint(want[ti.Name]) {
				t.Errorf("%s: shape %v, formats says %v", ti.Name, ti.Shape, want[ti.Name])
			}
		}
	}
}
