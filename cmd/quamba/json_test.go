package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/kernels"
)

// decodeOne decodes stdout as exactly one JSON object.
func decodeOne(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
}

// eval --json prints the figures of the text output as one JSON object on
// stdout; what it loaded goes to stderr.
func TestEvalJSON(t *testing.T) {
	dir := modelPath(t, "mamba1-shakespeare")
	g := readGolden(t, dir)
	stdout, stderr, err := runIO(t, "", "eval", "--json", "--threads", "1", "--model", dir, "--ctx", strconv.Itoa(g.Perplexity.Ctx))
	if err != nil {
		t.Fatalf("eval --json: %v\n%s%s", err, stdout, stderr)
	}
	var r struct {
		Model       string   `json:"model"`
		Weights     string   `json:"weights"`
		Kind        string   `json:"kind"`
		Scheme      string   `json:"scheme"`
		Tier        string   `json:"tier"`
		Threads     int      `json:"threads"`
		Tokens      int      `json:"tokens"`
		Windows     int      `json:"windows"`
		Predictions int      `json:"predictions"`
		NLL         float64  `json:"nll"`
		Perplexity  float64  `json:"perplexity"`
		TokensPerS  *float64 `json:"tokens_per_s"`
	}
	decodeOne(t, stdout, &r)
	if rel := math.Abs(r.Perplexity-g.Perplexity.PPL) / g.Perplexity.PPL; rel > 1e-5 {
		t.Errorf("perplexity %v, reference %v", r.Perplexity, g.Perplexity.PPL)
	}
	if math.Abs(math.Exp(r.NLL)-r.Perplexity) > 1e-6*r.Perplexity {
		t.Errorf("nll %v is not log(perplexity %v)", r.NLL, r.Perplexity)
	}
	if r.Windows != g.Perplexity.Windows || r.Predictions != g.Perplexity.Predictions || r.Tokens <= r.Predictions {
		t.Errorf("windows %d, predictions %d, tokens %d; reference %d windows, %d predictions",
			r.Windows, r.Predictions, r.Tokens, g.Perplexity.Windows, g.Perplexity.Predictions)
	}
	if r.Model != dir || r.Weights != filepath.Join(dir, "pytorch_model.bin") || r.Kind != "fp32" || r.Scheme != "fp32" ||
		r.Tier != kernels.Active().String() || r.Threads != 1 || r.TokensPerS == nil || !(*r.TokensPerS > 0) {
		t.Errorf("model %q, weights %q, kind %q, scheme %q, tier %q, threads %d, tokens/s %v", r.Model, r.Weights, r.Kind, r.Scheme,
			r.Tier, r.Threads, r.TokensPerS)
	}
	if !strings.Contains(stderr, "loaded weights") {
		t.Errorf("stderr does not say what was loaded:\n%s", stderr)
	}
	if goruntime.GOMAXPROCS(0) == 1 && goruntime.NumCPU() > 1 {
		t.Error("--threads 1 outlived the command")
	}
}

// inspect --json prints a checkpoint's config, counts and tensors, or an
// artifact's metadata and tensors, as one JSON object.
func TestInspectJSON(t *testing.T) {
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			dir := modelPath(t, name)
			cfg, err := formats.ReadConfig(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, err := runIO(t, "", "inspect", "--json", dir)
			if err != nil {
				t.Fatalf("inspect --json: %v\n%s", err, stderr)
			}
			var r struct {
				Path       string         `json:"path"`
				Format     string         `json:"format"`
				Config     map[string]any `json:"config"`
				Parameters int64          `json:"parameters"`
				Tensors    []struct {
					Name  string `json:"name"`
					Type  string `json:"type"`
					Shape []int  `json:"shape"`
				} `json:"tensors"`
			}
			decodeOne(t, stdout, &r)
			if r.Path != dir || r.Parameters != cfg.ParamCount() || r.Config["d_model"] != float64(cfg.DModel) {
				t.Errorf("path %q, parameters %d, config d_model %v; want %q, %d, %d", r.Path, r.Parameters, r.Config["d_model"],
					dir, cfg.ParamCount(), cfg.DModel)
			}
			found := false
			for _, tn := range r.Tensors {
				found = found || tn.Name == "backbone.layers.0.mixer.in_proj.weight" && len(tn.Shape) == 2 && tn.Type != ""
			}
			if !found {
				t.Errorf("tensor list lacks in_proj with its shape and dtype: %+v", r.Tensors)
			}
		})
	}
	art := filepath.Join(t.TempDir(), "m.gguf")
	if log, err := run(t, "quantize", "--model", modelPath(t, "mamba1-shakespeare"), "--samples", "4", "--seqlen", "64",
		"--allow-fewer", "--no-eval", "--quiet", "--out", art); err != nil {
		t.Fatalf("quantize: %v\n%s", err, log)
	}
	stdout, stderr, err := runIO(t, "", "inspect", "--json", art)
	if err != nil {
		t.Fatalf("inspect --json %s: %v\n%s", art, err, stderr)
	}
	var g struct {
		Format      string         `json:"format"`
		Config      map[string]any `json:"config"`
		Metadata    map[string]any `json:"metadata"`
		TensorCount int            `json:"tensor_count"`
		Tensors     []struct {
			Name  string `json:"name"`
			Bytes int64  `json:"bytes"`
		} `json:"tensors"`
	}
	decodeOne(t, stdout, &g)
	if g.Format != "gguf" || g.Metadata["quamba.scheme"] != "w8a8" || g.Metadata["general.architecture"] != "quamba" ||
		g.Config["d_model"] != 128.0 || g.TensorCount == 0 || len(g.Tensors) != g.TensorCount || g.Tensors[0].Bytes <= 0 {
		t.Errorf("artifact: format %q, scheme %v, architecture %v, config d_model %v, %d tensors (%d listed)", g.Format,
			g.Metadata["quamba.scheme"], g.Metadata["general.architecture"], g.Config["d_model"], g.TensorCount, len(g.Tensors))
	}
}

// Every command that runs parallel work takes --threads, the one shared
// definition; the others have no parallel work to size.
func TestThreadsEverywhere(t *testing.T) {
	parallel := map[string]bool{"eval": true, "generate": true, "bench": true, "quantize": true, "report": true, "serve": true}
	for _, cmd := range newApp().Commands {
		var got bool
		for _, f := range cmd.Flags {
			if f == threadsFlag {
				got = true
			} else if strings.Contains(strings.Join(f.Names(), " "), "threads") {
				t.Errorf("%s: a --threads flag of its own instead of the shared one", cmd.Name)
			}
		}
		if got != parallel[cmd.Name] {
			t.Errorf("%s: --threads %v, want %v", cmd.Name, got, parallel[cmd.Name])
		}
	}
	for name := range parallel {
		args := []string{name, "--threads", "-2"}
		switch name {
		case "serve":
			args = append(args, "--model", filepath.Join(t.TempDir(), "m.gguf"))
		case "report":
			args = append(args, "--out", t.TempDir())
		}
		if _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "--threads -2") {
			t.Errorf("%s --threads -2: error %v, want one naming --threads -2", name, err)
		}
	}
}
