package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quamba/quamba/kernels"
)

// benchJSON runs bench --json with args and decodes its one object.
func benchJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, log, err := runIO(t, "", append([]string{"bench", "--json", "--runs", "1", "--dram-mib", "32"}, args...)...)
	if err != nil {
		t.Fatalf("bench: %v\n%s%s", err, out, log)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var r map[string]any
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", out)
	}
	return r
}

func positive(t *testing.T, r map[string]any, names ...string) {
	t.Helper()
	for _, name := range names {
		v, ok := r[name].(float64)
		if !ok || !(v > 0) {
			t.Errorf("%s = %v (%T), want a positive number", name, r[name], r[name])
		}
	}
}

var benchFields = []string{"prefill_tokens_per_s", "decode_tokens_per_s", "weight_bytes_per_token",
	"dram_read_gb_per_s", "ceiling_share", "ceiling_tokens_per_s", "threads", "peak_rss_bytes"}

func TestBenchJSONBundledModel(t *testing.T) {
	r := benchJSON(t, "--model", modelPath(t, "mamba1-shakespeare"), "--prompt-len", "32", "--gen", "8", "--threads", "1")
	positive(t, r, benchFields...)
	if r["engine"] != "fp32" || r["tier"] != kernels.Active().String() || r["threads"] != 1.0 || r["batch"] != 1.0 {
		t.Errorf("engine %v, tier %v, threads %v, batch %v", r["engine"], r["tier"], r["threads"], r["batch"])
	}
	// 4 layers of d_model 128 (in_proj 512x128, x_proj 40x256, dt_proj
	// 256x8, out_proj 128x256) and lm_head 256x128, plus one embedding row,
	// in float32.
	if want := 4.0 * (4*(512*128+40*256+256*8+128*256) + 256*128 + 128); r["weight_bytes_per_token"] != want {
		t.Errorf("weight_bytes_per_token %v, want %v", r["weight_bytes_per_token"], want)
	}
	// Per layer the last 4 conv inputs of d_inner 256 channels and the
	// 256x16 SSM state, in float32, after the saved state's 44-byte header.
	if want := 44.0 + 4*4*(4*256+256*16); r["state_bytes"] != want {
		t.Errorf("state_bytes %v, want %v", r["state_bytes"], want)
	}
}

func TestBenchJSONSyntheticArtifact(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a mamba-130m-shaped model")
	}
	save := filepath.Join(t.TempDir(), "m.gguf")
	r := benchJSON(t, "--arch", "mamba-130m", "--scheme", "w4a8", "--prompt-len", "16", "--gen", "4", "--batch", "2",
		"--save-artifact", save)
	positive(t, r, benchFields...)
	positive(t, r, "compile_seconds")
	if r["scheme"] != "w4a8" || r["engine"] != "runtime" || r["batch"] != 2.0 || r["d_model"] != 768.0 || r["n_layer"] != 24.0 {
		t.Errorf("scheme %v, engine %v, batch %v, d_model %v, n_layer %v", r["scheme"], r["engine"], r["batch"], r["d_model"], r["n_layer"])
	}
	kinds, _ := r["kernels"].(map[string]any)
	if kinds["w4a8"] == nil {
		t.Errorf("no w4a8 projections: %v", r["kernels"])
	}
	// The kept artifact benches again through --model.
	r2 := benchJSON(t, "--model", save, "--prompt-len", "16", "--gen", "4")
	positive(t, r2, benchFields...)
	if r2["weight_bytes_per_token"] != r["weight_bytes_per_token"] || r2["scheme"] != "w4a8" {
		t.Errorf("artifact benched again: %v bytes, scheme %v; first run %v bytes", r2["weight_bytes_per_token"], r2["scheme"], r["weight_bytes_per_token"])
	}
}

func TestBenchSyntheticTempFileRemoved(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a mamba2-130m-shaped model")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	out, err := run(t, "bench", "--arch", "mamba2-130m", "--scheme", "w8a8", "--runs", "1", "--prompt-len", "8", "--gen", "2",
		"--dram-mib", "16", "--threads", "1")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	for _, name := range []string{"prefill", "decode", "ceiling-share", "dram-read", "peak-rss", "tier"} {
		field(t, out, name)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		if strings.HasPrefix(e.Name(), "quamba-bench-") {
			t.Errorf("temporary artifact %s left behind", e.Name())
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--arch", "mamba-999m"}, "unknown preset"},
		{[]string{"--arch", "mamba-130m", "--scheme", "w3a3"}, "unknown scheme"},
		{[]string{"--scheme", "w8a8"}, "--scheme needs --arch"},
		{[]string{"--model", "x", "--arch", "mamba-130m"}, "exclude each other"},
		{[]string{"--save-artifact", "x.gguf", "--arch", "mamba-130m"}, "--save-artifact needs"},
		{[]string{"--batch", "0"}, "--batch 0"},
		{[]string{"--threads", "-1"}, "--threads -1"},
		{[]string{"--gen", "0"}, "--gen 0"},
		{[]string{"--prompt-len", "0"}, "--prompt-len 0"},
		{[]string{"--runs", "0"}, "--runs 0"},
		{[]string{"--dram-mib", "0"}, "--dram-mib 0"},
		{[]string{"extra"}, "no arguments"},
		{[]string{"--model", filepath.Join(t.TempDir(), "missing")}, "missing"},
	} {
		out, err := run(t, append([]string{"bench"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench %v: error %v, want one containing %q\n%s", tc.args, err, tc.want, out)
		}
	}
}
