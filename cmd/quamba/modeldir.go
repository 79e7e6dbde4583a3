package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/formats"
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

// simulateFlag runs an artifact through the compiler's float32 simulation
// instead of the integer runtime.
var simulateFlag = &cli.BoolFlag{
	Name:  "simulate",
	Usage: "run a .gguf artifact through the exact float32 simulation of its scheme instead of the int8 runtime",
}

// loaded is a model ready to run: the FP32 engine of a checkpoint, the int8
// runtime of an artifact, or an artifact's simulation (--simulate).
type loaded struct {
	dir   string
	lm    model.LanguageModel
	cfg   formats.Config
	tok   tokenizer.Tokenizer
	kind  string // "fp32", "runtime" or "simulation"
	close func()
}

// loadModel loads --model (or the bundled model) and picks its tokenizer;
// the caller calls close when done.
func loadModel(c *cli.Context) (*loaded, error) {
	if err := setThreads(c); err != nil {
		return nil, err
	}
	dir, err := modelDir(c)
	if err != nil {
		return nil, err
	}
	l := &loaded{dir: dir, close: func() {}}
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
		l.lm, l.cfg, l.kind = m, m.Config, "simulation"
		tokDir = filepath.Dir(dir)
	case quant.IsArtifact(dir):
		// A quantized artifact runs on the integer kernels; its tokenizer
		// is looked up beside it.
		rt, err := runtime.Open(dir, runtime.Options{SkipChecksum: c.Bool(noVerifyFlag.Name)})
		if err != nil {
			return nil, err
		}
		l.lm, l.cfg, l.kind, l.close = rt, rt.Config(), "runtime", func() { rt.Close() }
		tokDir = filepath.Dir(dir)
	default:
		m, err := model.Load(dir)
		if err != nil {
			return nil, err
		}
		l.lm, l.cfg, l.kind = m, m.Config, "fp32"
	}
	if l.tok, err = tokenizerFor(tokDir, l.cfg); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// tokenizerFor picks the tokenizer of a model: its own tokenizer.json when the
// directory has one, bytes for byte-level models, and otherwise GPT-NeoX-20B,
// the tokenizer of every state-spaces Mamba and Mamba2 checkpoint.
func tokenizerFor(dir string, cfg formats.Config) (tokenizer.Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(path); err == nil {
		tok, err := tokenizer.Load(path)
		if err != nil {
			return nil, err
		}
		if tok.VocabSize() > cfg.PaddedVocab {
			return nil, fmt.Errorf("%s has %d token ids but the model in %s has only %d vocabulary rows: the tokenizer does not belong to this model",
				path, tok.VocabSize(), dir, cfg.PaddedVocab)
		}
		return tok, nil
	}
	if cfg.VocabSize <= 256 {
		return tokenizer.Bytes(), nil
	}
	tok, err := tokenizer.GPTNeoX()
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > cfg.PaddedVocab {
		return nil, fmt.Errorf("%s: vocabulary of %d rows is smaller than the GPT-NeoX tokenizer's %d tokens; put the model's tokenizer.json in the directory",
			dir, cfg.PaddedVocab, tok.VocabSize())
	}
	return tok, nil
}
