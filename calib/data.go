package calib

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/quamba/quamba/tokenizer"
)

// Defaults of DataConfig, as in the papers' calibration (quamba.md §2).
const (
	DefaultSamples = 512
	DefaultSeqLen  = 512
)

// Limits that reject absurd sizes.
const (
	maxSamples = 1 << 20
	maxSeqLen  = 1 << 20
)

// DataConfig says where the calibration text comes from and how it is cut.
//
// Files ending in .jsonl (any case) are JSONL: one JSON object per line with
// a "text" string field (other fields ignored, blank lines skipped); every
// object is a document, truncated to SeqLen tokens (shorter documents stay
// short; documents of fewer than 2 tokens are skipped). Other files are plain
// text: each file is encoded on its own, the token streams are concatenated
// in file order and cut into non-overlapping windows of exactly SeqLen
// tokens (a shorter tail is dropped). The files of one DataConfig must all be
// JSONL or all plain text.
//
// Samples are chosen by a seeded shuffle: with count windows (or documents)
// available, perm := rand.New(rand.NewPCG(Seed, 0)).Perm(count) from
// math/rand/v2, and sample i is window (document) perm[i], for i < Samples.
// Samples run, and their statistics merge, in that order.
type DataConfig struct {
	Files     []string
	Tokenizer tokenizer.Tokenizer
	Samples   int // N, DefaultSamples when 0
	SeqLen    int // L, DefaultSeqLen when 0
	Seed      uint64
	// AllowFewer uses every window (document) when fewer than Samples are
	// available, instead of failing.
	AllowFewer bool
}

// Dataset is the calibration samples and their description. A Dataset can
// also be built by hand (Summary only feeds Stats.Summary).
type Dataset struct {
	Summary Summary
	Samples [][]int
	// Index is, per sample, the window (plain text: tokens
	// Index[i]·SeqLen ... of the concatenated stream) or document (JSONL:
	// counted over the usable documents of all files in order) it came from.
	Index []int
}

// LoadData reads, tokenizes and samples the calibration text of c.
func LoadData(c DataConfig) (*Dataset, error) {
	if len(c.Files) == 0 {
		return nil, errors.New("calib: no calibration files")
	}
	if c.Tokenizer == nil {
		return nil, errors.New("calib: no tokenizer")
	}
	N, L := c.Samples, c.SeqLen
	if N == 0 {
		N = DefaultSamples
	}
	if L == 0 {
		L = DefaultSeqLen
	}
	if N < 0 || N > maxSamples {
		return nil, fmt.Errorf("calib: %d samples requested, want 1 to %d", N, maxSamples)
	}
	if L < 2 || L > maxSeqLen {
		return nil, fmt.Errorf("calib: sample length %d tokens, want 2 to %d", L, maxSeqLen)
	}
	jsonl := isJSONL(c.Files[0])
	for _, f := range c.Files[1:] {
		if isJSONL(f) != jsonl {
			return nil, fmt.Errorf("calib: calibration files %s and %s mix JSONL and plain text", c.Files[0], f)
		}
	}
	names := strings.Join(c.Files, ", ")

	var pool [][]int // windows or documents
	format := "text"
	if jsonl {
		format = "jsonl"
		for _, f := range c.Files {
			docs, err := readJSONL(f)
			if err != nil {
				return nil, err
			}
			if len(docs) == 0 {
				return nil, fmt.Errorf("calib: calibration file %s has no documents", f)
			}
			for _, d := range docs {
				ids := c.Tokenizer.Encode(d)
				if len(ids) < 2 {
					continue
				}
				pool = append(pool, ids[:min(len(ids), L):min(len(ids), L)])
			}
		}
		if len(pool) == 0 {
			return nil, fmt.Errorf("calib: calibration text %s has no document of at least 2 tokens", names)
		}
	} else {
		var stream []int
		for _, f := range c.Files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("calib: calibration text: %w", err)
			}
			stream = append(stream, c.Tokenizer.Encode(string(b))...)
		}
		if len(stream) < L {
			return nil, fmt.Errorf("calib: calibration text %s has %d tokens, one sample needs %d", names, len(stream), L)
		}
		for w := 0; (w+1)*L <= len(stream); w++ {
			pool = append(pool, stream[w*L:(w+1)*L:(w+1)*L])
		}
	}
	if len(pool) < N {
		if !c.AllowFewer {
			unit := fmt.Sprintf("windows of %d tokens", L)
			if jsonl {
				unit = "documents of at least 2 tokens"
			}
			return nil, fmt.Errorf("calib: calibration text %s has %d %s, %d samples requested (allow fewer to use all of them)",
				names, len(pool), unit, N)
		}
		N = len(pool)
	}
	perm := rand.New(rand.NewPCG(c.Seed, 0)).Perm(len(pool))
	ds := &Dataset{
		Summary: Summary{Files: append([]string(nil), c.Files...), Format: format, Samples: N, SeqLen: L, Seed: c.Seed},
		Samples: make([][]int, N),
		Index:   perm[:N:N],
	}
	for i, w := range ds.Index {
		ds.Samples[i] = pool[w]
		ds.Summary.Tokens += int64(len(pool[w]))
	}
	return ds, nil
}

func isJSONL(name string) bool { return strings.EqualFold(filepath.Ext(name), ".jsonl") }

// readJSONL returns the "text" field of every non-blank line of a JSONL file.
func readJSONL(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("calib: calibration text: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var docs []string
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("calib: %s line %d: %w", name, line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF")) // a UTF-8 byte order mark
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			var obj struct {
				Text *string `json:"text"`
			}
			if t[0] != '{' {
				return nil, fmt.Errorf("calib: %s line %d: not a JSON object", name, line)
			}
			if jerr := json.Unmarshal(t, &obj); jerr != nil {
				return nil, fmt.Errorf("calib: %s line %d: %w", name, line, jerr)
			}
			if obj.Text == nil {
				return nil, fmt.Errorf("calib: %s line %d: no \"text\" string field", name, line)
			}
			docs = append(docs, *obj.Text)
		}
		if err == io.EOF {
			return docs, nil
		}
	}
}
