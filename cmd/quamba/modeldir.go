package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/generate"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/tokenizer"
)

const (
	modulePath     = "github.com/quamba/quamba"
	bundledModel   = "testdata/mamba1-shakespeare"
	bundledHeldout = "testdata/shakespeare-heldout.txt"
)

var modelFlag = &cli.StringFlag{
	Name:    "model",
	Aliases: []string{"m"},
	Usage:   "model directory (config.json plus model.safetensors, its shards, or pytorch_model.bin) or a quantized .gguf artifact; default: the bundled model",
}

var noVerifyFlag = &cli.BoolFlag{
	Name:  "no-verify",
	Usage: "do not verify an artifact's checksum when loading it",
}

// sourceRoot finds the quamba source tree by walking up from the working
// directory and from the executable's directory, looking for its go.mod.
func sourceRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && bytes.HasPrefix(data, []byte("module "+modulePath+"\n")) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("the quamba source tree, which holds the bundled model and text, was not found above the working directory or the executable")
}

// bundledPath resolves a path inside the source tree.
func bundledPath(rel string) (string, error) {
	root, err := sourceRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, rel), nil
}

// modelDir is --model, or the bundled model when it is not set.
func modelDir(c *cli.Context) (string, error) {
	if d := c.String(modelFlag.Name); d != "" {
		return d, nil
	}
	d, err := bundledPath(bundledModel)
	if err != nil {
		return "", fmt.Errorf("no --model given and %w; pass --model DIR", err)
	}
	return d, nil
}

// threadsFlag sets the number of threads of the engines (GOMAXPROCS).
var threadsFlag = &cli.IntFlag{Name: "threads", Usage: "threads for the matrix products, conv and scan (default: all CPUs)"}

// setThreads applies --threads.
func setThreads(c *cli.Context) error {
	n := c.Int(threadsFlag.Name)
	if n < 0 {
		return fmt.Errorf("--threads %d: want a positive count (0: all CPUs)", n)
	}
	if n > 0 {
		goruntime.GOMAXPROCS(n)
	}
	return nil
}

// jsonFlag prints a command's result as one JSON object on stdout.
var jsonFlag = &cli.BoolFlag{Name: "json", Usage: "print one JSON object on stdout instead of the text (progress stays on stderr)"}

// simulateFlag runs an artifact through the compiler's float32 simulation
// instead of the integer runtime.
var simulateFlag = &cli.BoolFlag{
	Name:  "simulate",
	Usage: "run a .gguf artifact through the exact float32 simulation of its scheme instead of the int8 runtime",
}

// loaded is a model ready to run: the FP32 engine of a checkpoint, the int8
// runtime of an artifact, or an artifact's simulation (--simulate).
type loaded struct {
	dir     string
	lm      model.LanguageModel
	cfg     formats.Config
	tok     tokenizer.Tokenizer
	kind    string // "fp32", "runtime" or "simulation"
	scheme  string // "fp32" or the artifact's scheme
	weights string // the file the weights came from
	close   func()
}

// loadModel loads --model (or the bundled model) and picks its tokenizer,
// saying on stderr what it loads and then which files it loaded; the caller
// calls close when done.
func loadModel(c *cli.Context) (*loaded, error) {
	if err := setThreads(c); err != nil {
		return nil, err
	}
	dir, err := modelDir(c)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	logf(c, "loading %s ...", dir)
	l := &loaded{dir: dir, weights: dir, close: func() {}}
	tokDir := dir
	switch {
	case quant.IsArtifact(dir) && c.Bool(simulateFlag.Name):
		cm, err := quant.ReadArtifact(dir, formats.GGUFOptions{SkipChecksum: c.Bool(noVerifyFlag.Name)})
		if err != nil {
			return nil, err
		}
		m, err := cm.Simulate()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		l.lm, l.cfg, l.kind, l.scheme = m, m.Config, "simulation", string(cm.Options.Scheme)
		tokDir = filepath.Dir(dir)
	case quant.IsArtifact(dir):
		// A quantized artifact runs on the integer kernels; its tokenizer
		// is looked up beside it.
		rt, err := runtime.Open(dir, runtime.Options{SkipChecksum: c.Bool(noVerifyFlag.Name)})
		if err != nil {
			return nil, err
		}
		l.lm, l.cfg, l.kind, l.close = rt, rt.Config(), "runtime", func() { rt.Close() }
		l.scheme = string(rt.Info().Options.Scheme)
		tokDir = filepath.Dir(dir)
	default:
		m, weights, err := loadFP32(dir)
		if err != nil {
			return nil, err
		}
		l.lm, l.cfg, l.kind, l.scheme, l.weights = m, m.Config, "fp32", "fp32", weights
	}
	tok, tokDesc, err := tokenizerFor(tokDir, l.cfg)
	if err != nil {
		l.close()
		return nil, err
	}
	l.tok = tok
	logf(c, "loaded weights %s (%s), tokenizer %s, in %s", l.weights, engineName(l.kind, l.scheme), tokDesc,
		time.Since(start).Round(time.Millisecond))
	return l, nil
}

// loadFP32 builds the FP32 engine of a checkpoint directory and names the
// weights file it read.
func loadFP32(dir string) (*model.Model, string, error) {
	files, err := formats.OpenModel(dir)
	if err != nil {
		return nil, "", fmt.Errorf("load model: %w", err)
	}
	defer files.Close()
	m, err := model.New(files.Config, files)
	if err != nil {
		return nil, "", fmt.Errorf("load model %s: %w", dir, err)
	}
	return m, files.Checkpoint.Path(), nil
}

// engineName describes what runs a model of kind and scheme.
func engineName(kind, scheme string) string {
	switch kind {
	case "runtime":
		return scheme + " on the int8 runtime"
	case "simulation":
		return scheme + ", float32 simulation"
	}
	return "FP32 engine"
}

// logf writes one line of progress or information to the app's stderr, so
// that stdout carries only the result.
func logf(c *cli.Context, format string, args ...any) {
	fmt.Fprintf(stderrOf(c), format+"\n", args...)
}

// tokenizerFor picks the tokenizer of the model in dir as generate.Tokenizer
// does (the directory's tokenizer.json when it has one, bytes for
// byte-level models, GPT-NeoX-20B otherwise) and describes the choice.
func tokenizerFor(dir string, cfg formats.Config) (tokenizer.Tokenizer, string, error) {
	path := filepath.Join(dir, "tokenizer.json")
	var data []byte
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return nil, "", fmt.Errorf("%s is not a regular file", path)
		}
		if data, err = os.ReadFile(path); err != nil {
			return nil, "", fmt.Errorf("tokenizer: %w", err)
		}
		if len(data) == 0 {
			return nil, "", fmt.Errorf("tokenizer: %s is empty", path)
		}
		tok, err := generate.Tokenizer(cfg, data, path)
		if err != nil {
			return nil, "", fmt.Errorf("model %s: %w", dir, err)
		}
		return tok, path, nil
	}
	tok, err := generate.Tokenizer(cfg, nil, dir)
	if err != nil {
		return nil, "", err
	}
	if tok == tokenizer.Bytes() {
		return tok, "bytes (byte-level vocabulary)", nil
	}
	return tok, "GPT-NeoX-20B (embedded)", nil
}
