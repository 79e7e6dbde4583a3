package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quamba/quamba/quant"
)

func readText(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// eval --text - reads the text from the standard input and gives the
// perplexity of the same text read from its file.
func TestEvalTextFromStdin(t *testing.T) {
	held := readText(t, "shakespeare-heldout.txt")
	want, _, err := runIO(t, "", "eval", "--quiet", "--text", filepath.Join("..", "..", "testdata", "shakespeare-heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := runIO(t, held, "eval", "--quiet", "--text", "-")
	if err != nil {
		t.Fatalf("eval --text -: %v\n%s", err, got)
	}
	if p, q := field(t, got, "perplexity"), field(t, want, "perplexity"); p != q {
		t.Errorf("perplexity of the standard input %s, of the file %s", p, q)
	}
	if !strings.Contains(got, "text        - (standard input) ") {
		t.Errorf("eval does not name the standard input:\n%s", got)
	}
	js, _, err := runIO(t, held, "eval", "--json", "--text", "-")
	if err != nil {
		t.Fatalf("eval --json --text -: %v", err)
	}
	var r struct{ Text string }
	if decodeOne(t, js, &r); r.Text != "-" {
		t.Errorf("eval --json --text - names the text %q, want -", r.Text)
	}
	if _, _, err := runIO(t, "", "eval", "--quiet", "--text", "-"); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("eval of an empty standard input: error %v, want one naming the standard input", err)
	}
}

// quantize --calib - calibrates on the standard input, plain text or JSONL,
// and records it as "-" in the artifact; the standard input is read once.
func TestQuantizeCalibFromStdin(t *testing.T) {
	m1 := modelPath(t, "mamba1-shakespeare")
	text := readText(t, "shakespeare-calib.txt")
	var jsonl strings.Builder
	for _, para := range strings.Split(text, "\n\n")[:40] {
		b, _ := json.Marshal(map[string]string{"text": para})
		jsonl.Write(append(b, '\n'))
	}
	for _, tc := range []struct{ name, stdin, format string }{{"text", text, "text"}, {"jsonl", jsonl.String(), "jsonl"}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "m.gguf")
			log, errLog, err := runIO(t, tc.stdin, "quantize", "--model", m1, "--calib", "-", "--allow-fewer", "--samples", "4",
				"--seqlen", "64", "--no-eval", "--quiet", "--out", out)
			if err != nil {
				t.Fatalf("quantize --calib -: %v\n%s%s", err, log, errLog)
			}
			cm, err := quant.ReadArtifact(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := cm.Calib.Files; len(got) != 1 || got[0] != "-" || cm.Calib.Format != tc.format {
				t.Errorf("artifact records calibration files %q, format %s; want [-], %s", got, cm.Calib.Format, tc.format)
			}
		})
	}
	_, _, err := runIO(t, text, "quantize", "--model", m1, "--calib", "-", "--eval", "-", "--out", filepath.Join(t.TempDir(), "x.gguf"))
	if err == nil || !strings.Contains(err.Error(), "already read by --eval") {
		t.Errorf("--calib - --eval -: error %v, want one saying the standard input is read by --eval", err)
	}
	_, _, err = runIO(t, "too short", "quantize", "--model", m1, "--calib", "-", "--seqlen", "512", "--out", filepath.Join(t.TempDir(), "x.gguf"))
	if err == nil || !strings.Contains(err.Error(), "- (standard input)") || strings.Contains(err.Error(), "quamba-stdin-") {
		t.Errorf("short calibration text on the standard input: error %v, want one naming the standard input, not its copy", err)
	}
}

// Each command that loads a model says once, on stderr, which weights file
// and which tokenizer it loaded.
func TestLoadedFilesSaidOnce(t *testing.T) {
	m1 := modelPath(t, "mamba1-shakespeare")
	weights := filepath.Join(m1, "pytorch_model.bin")
	art := filepath.Join(t.TempDir(), "m.gguf")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"quantize", []string{"quantize", "--model", m1, "--samples", "4", "--seqlen", "64", "--allow-fewer", "--no-eval", "--quiet", "--out", art},
			[]string{weights, "tokenizer bytes"}},
		{"eval", []string{"eval", "--quiet", "--model", m1}, []string{weights, "FP32 engine", "tokenizer bytes"}},
		{"generate", []string{"generate", "--model", m1, "--max-tokens", "4"}, []string{weights, "tokenizer bytes"}},
		{"eval artifact", []string{"eval", "--quiet", "--model", art}, []string{art, "w8a8 on the int8 runtime", "tokenizer bytes"}},
		{"generate artifact", []string{"generate", "--model", art, "--simulate", "--max-tokens", "4"}, []string{art, "float32 simulation"}},
		{"bench", []string{"bench", "--model", m1, "--runs", "1", "--dram-mib", "8", "--prompt-len", "4", "--gen", "2"}, []string{weights}},
	} {
		stdout, stderr, err := runIO(t, "", tc.args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", tc.name, err, stdout, stderr)
		}
		if n := strings.Count(stderr, "loaded weights"); n != 1 {
			t.Errorf("%s: %d lines name the loaded weights, want 1:\n%s", tc.name, n, stderr)
		}
		if strings.Contains(stdout, "loaded weights") {
			t.Errorf("%s: the loaded files are named on stdout:\n%s", tc.name, stdout)
		}
		line := stderr[strings.Index(stderr, "loaded weights"):]
		line = line[:strings.IndexByte(line, '\n')]
		for _, w := range tc.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q does not name %q", tc.name, line, w)
			}
		}
	}
}

// A model directory's tokenizer.json that is not a regular file, or is
// empty, is refused by name instead of falling back to another tokenizer.
func TestTokenizerFileChecked(t *testing.T) {
	src, err := filepath.Abs(modelPath(t, "mamba1-shakespeare"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		make func(path string) error
		want string
	}{
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }, "not a regular file"},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o644) }, "is empty"},
	} {
		dir := t.TempDir()
		for _, f := range []string{"config.json", "pytorch_model.bin"} {
			if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		tj := filepath.Join(dir, "tokenizer.json")
		if err := tc.make(tj); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, "eval", "--quiet", "--model", dir)
		if err == nil || !strings.Contains(err.Error(), tj) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s tokenizer.json: error %v, want one naming %s and saying %q", tc.name, err, tj, tc.want)
		}
	}
}

// generate --prompt-file - continues the text of the standard input as
// --prompt continues the same text.
func TestGeneratePromptFromStdin(t *testing.T) {
	args := []string{"generate", "--temperature", "0", "--max-tokens", "24"}
	want, _, err := runIO(t, "", append(args, "--prompt", "JULIET:")...)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := runIO(t, "JULIET:", append(args, "--prompt-file", "-")...)
	if err != nil || got != want {
		t.Errorf("--prompt-file -: %v\n got %q\nwant %q", err, got, want)
	}
	if _, _, err := runIO(t, "", append(args, "--prompt-file", "-")...); err == nil || !strings.Contains(err.Error(), "prompt is empty") {
		t.Errorf("an empty standard input: error %v, want one saying the prompt is empty", err)
	}
	if _, _, err := runIO(t, "x", append(args, "--prompt", "a", "--prompt-file", "-")...); err == nil || exitCode(err) != 2 {
		t.Errorf("--prompt with --prompt-file: error %v, want a usage error", err)
	}
}
