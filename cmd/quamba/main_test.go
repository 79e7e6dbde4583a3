package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/kernels"
)

// golden is the part of a reference model's golden.json (written by
// tools/reference/golden.py with PyTorch) that the CLI reproduces.
type golden struct {
	Prompt     string `json:"prompt"`
	GreedyText string `json:"greedy_text"`
	Perplexity struct {
		Ctx         int     `json:"ctx"`
		Windows     int     `json:"windows"`
		Predictions int     `json:"predictions"`
		PPL         float64 `json:"ppl"`
	} `json:"perplexity"`
}

var referenceModels = []string{"mamba1-shakespeare", "mamba2-shakespeare"}

func modelPath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", name)
}

func readGolden(t *testing.T, dir string) golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s/golden.json: %v", dir, err)
	}
	return g
}

// run executes the CLI in-process and returns what it wrote, stdout and
// stderr together.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := runWith(strings.NewReader(""), &out, &out, args...)
	return out.String(), err
}

// runIO executes the CLI in-process with stdin as its standard input and
// returns its stdout and stderr apart.
func runIO(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = runWith(strings.NewReader(stdin), &o, &e, args...)
	return o.String(), e.String(), err
}

// runWith runs the app as main does.
func runWith(stdin io.Reader, stdout, stderr io.Writer, args ...string) error {
	app := newApp()
	app.Reader, app.Writer, app.ErrWriter = stdin, stdout, stderr
	return app.Run(withFlagsFirst(app, append([]string{"quamba"}, args...)))
}

func field(t *testing.T, out, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in output:\n%s", name, out)
	}
	return m[1]
}

func TestEvalReproducesReferencePerplexity(t *testing.T) {
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			dir := modelPath(t, name)
			g := readGolden(t, dir)
			out, err := run(t, "eval", "--quiet", "--model", dir, "--ctx", strconv.Itoa(g.Perplexity.Ctx))
			if err != nil {
				t.Fatalf("eval: %v\n%s", err, out)
			}
			ppl, err := strconv.ParseFloat(field(t, out, "perplexity"), 64)
			if err != nil {
				t.Fatal(err)
			}
			if rel := math.Abs(ppl-g.Perplexity.PPL) / g.Perplexity.PPL; rel > 1e-5 {
				t.Errorf("perplexity %.7f, PyTorch reference %.7f (relative error %.2g > 1e-5)", ppl, g.Perplexity.PPL, rel)
			}
			if want := strconv.Itoa(g.Perplexity.Windows); field(t, out, "windows") != want {
				t.Errorf("windows %s, reference %s", field(t, out, "windows"), want)
			}
		})
	}
}

func TestEvalDefaultsToBundledModel(t *testing.T) {
	g := readGolden(t, modelPath(t, "mamba1-shakespeare"))
	out, err := run(t, "eval", "--quiet")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	ppl, err := strconv.ParseFloat(field(t, out, "perplexity"), 64)
	if err != nil {
		t.Fatal(err)
	}
	if rel := math.Abs(ppl-g.Perplexity.PPL) / g.Perplexity.PPL; rel > 1e-5 {
		t.Errorf("default eval perplexity %.7f, reference %.7f", ppl, g.Perplexity.PPL)
	}
}

func TestGenerateGreedyMatchesReference(t *testing.T) {
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			dir := modelPath(t, name)
			g := readGolden(t, dir)
			n := len(g.GreedyText)
			out, _, err := runIO(t, "", "generate", "--model", dir, "--temperature", "0",
				"--max-tokens", strconv.Itoa(n), "--prompt", g.Prompt)
			if err != nil {
				t.Fatalf("generate: %v\n%s", err, out)
			}
			// The goldens store bytes as Latin-1 code points.
			var want []byte
			for _, r := range g.GreedyText {
				want = append(want, byte(r))
			}
			if got := strings.TrimPrefix(out, g.Prompt); got != string(want)+"\n" {
				t.Errorf("greedy continuation\n got %q\nwant %q", got, string(want)+"\n")
			}
		})
	}
}

func TestGenerateSamplingIsSeeded(t *testing.T) {
	args := []string{"generate", "--max-tokens", "40", "--temperature", "0.9", "--top-k", "20", "--seed", "7"}
	a, _, err := runIO(t, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runIO(t, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("same seed, different text:\n%q\n%q", a, b)
	}
	c, _, err := runIO(t, "", append(args[:len(args)-1], "8")...)
	if err != nil {
		t.Fatal(err)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same 40 sampled tokens: %q", a)
	}
}

func TestInspect(t *testing.T) {
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			dir := modelPath(t, name)
			cfg, err := formats.ReadConfig(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "inspect", dir)
			if err != nil {
				t.Fatalf("inspect: %v\n%s", err, out)
			}
			if got := field(t, out, "architecture"); got != string(cfg.Arch) {
				t.Errorf("architecture %s, config says %s", got, cfg.Arch)
			}
			if got, want := field(t, out, "d_model"), strconv.Itoa(cfg.DModel); got != want {
				t.Errorf("d_model %s, want %s", got, want)
			}
			want := "(" + strconv.FormatInt(cfg.ParamCount(), 10) + ")"
			if !strings.Contains(out, want) {
				t.Errorf("parameter count %s missing:\n%s", want, out)
			}
			if !strings.Contains(out, "backbone.layers.0.mixer.in_proj.weight") {
				t.Errorf("tensor list missing in_proj:\n%s", out)
			}
		})
	}
}

func TestErrorsNameTheInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-model")
	if _, err := run(t, "eval", "--quiet", "--model", missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("eval on a missing model: error %v should name %s", err, missing)
	}
	if _, err := run(t, "init", "--arch", "mamba-7b", "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "mamba-7b") {
		t.Errorf("init with an unknown arch: error %v should name it", err)
	}
	if _, err := run(t, "generate", "--temperature", "-1"); err == nil {
		t.Error("negative temperature accepted")
	}
	text := filepath.Join(t.TempDir(), "missing.txt")
	if _, err := run(t, "eval", "--quiet", "--text", text); err == nil || !strings.Contains(err.Error(), text) {
		t.Errorf("eval on a missing text: error %v should name %s", err, text)
	}
}

// A tokenizer.json with more ids than the model has vocabulary rows is
// refused when the model is loaded, naming the file and the model.
func TestTokenizerLargerThanVocabulary(t *testing.T) {
	dir := t.TempDir()
	src, err := filepath.Abs(modelPath(t, "mamba1-shakespeare"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "pytorch_model.bin"} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	neox, err := filepath.Abs(filepath.Join("..", "..", "tokenizer", "data", "gpt-neox-20b", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(neox, filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"generate", "--max-tokens", "3", "--model", dir},
		{"eval", "--quiet", "--model", dir},
	} {
		_, err := run(t, args...)
		if err == nil {
			t.Errorf("%s: a 50277-token tokenizer.json was accepted for a 256-row model", args[0])
			continue
		}
		for _, want := range []string{filepath.Join(dir, "tokenizer.json"), "50277", "256"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %s", args[0], err, want)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "--version")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"quamba ", "go " + goruntime.Version(), "kernels " + kernels.Active().String()} {
		if !strings.Contains(out, want) {
			t.Errorf("--version output lacks %q:\n%s", want, out)
		}
	}
}

// Command-line mistakes are one-line usage errors (exit status 2), without
// the help text.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"--frobnicate"},
		{"generate", "--frobnicate"},
		{"eval", "--quiet", "extra"},
		{"generate", "ROMEO"},
		{"inspect"},
	} {
		out, err := run(t, args...)
		if err == nil {
			t.Errorf("%q: accepted", args)
			continue
		}
		if code := exitCode(err); code != 2 {
			t.Errorf("%q: exit status %d, want 2 (error %v)", args, code, err)
		}
		if strings.Contains(err.Error(), "\n") || out != "" {
			t.Errorf("%q: error %q and output %q, want one line and no help", args, err, out)
		}
	}
	if !strings.Contains(func() string { _, err := run(t, "frobnicate"); return err.Error() }(), "frobnicate") {
		t.Error("the unknown command is not named")
	}
	if code := exitCode(errors.New("model not found")); code != 1 {
		t.Errorf("a run error exits %d, want 1", code)
	}
}

// Bad sampling parameters are refused with an error naming the parameter.
func TestGenerateParamErrors(t *testing.T) {
	for _, tc := range [][3]string{
		{"--temperature", "-0.5", "temperature"}, {"--temperature", "NaN", "temperature"}, {"--temperature", "Inf", "temperature"},
		{"--top-k", "-1", "top-k"}, {"--top-k", "257", "top-k"}, {"--max-tokens", "-1", "max tokens"},
	} {
		_, err := run(t, "generate", tc[0], tc[1])
		if err == nil || !strings.Contains(err.Error(), tc[2]) {
			t.Errorf("generate %s %s: error %v, want one naming %s", tc[0], tc[1], err, tc[2])
		}
	}
}
