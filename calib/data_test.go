package calib

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quamba/quamba/tokenizer"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadTextWindows(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", strings.Repeat("abcdefghij", 30)) // 300 tokens
	b := writeFile(t, dir, "b.txt", strings.Repeat("0123456789", 25)) // 250 tokens
	tok := tokenizer.Bytes()
	stream := tok.Encode(strings.Repeat("abcdefghij", 30) + strings.Repeat("0123456789", 25))
	ds, err := LoadData(DataConfig{Files: []string{a, b}, Tokenizer: tok, Samples: 5, SeqLen: 100, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Samples) != 5 || len(ds.Index) != 5 {
		t.Fatalf("%d samples, want 5", len(ds.Samples))
	}
	seen := map[int]bool{}
	for i, s := range ds.Samples {
		w := ds.Index[i]
		if w < 0 || w >= 5 || seen[w] {
			t.Fatalf("window %d: out of range or repeated (%v)", w, ds.Index)
		}
		seen[w] = true
		if !slices.Equal(s, stream[w*100:(w+1)*100]) {
			t.Errorf("sample %d is not window %d of the stream", i, w)
		}
	}
	want := Summary{Files: []string{a, b}, Format: "text", Samples: 5, SeqLen: 100, Seed: 7, Tokens: 500}
	if !slicesEqualSummary(ds.Summary, want) {
		t.Errorf("summary %+v, want %+v", ds.Summary, want)
	}
}

func slicesEqualSummary(a, b Summary) bool {
	return slices.Equal(a.Files, b.Files) && a.Format == b.Format && a.Samples == b.Samples &&
		a.SeqLen == b.SeqLen && a.Seed == b.Seed && a.Tokens == b.Tokens
}

func TestSampleChoiceDeterminism(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	for i := range 5000 {
		sb.WriteByte(byte('a' + i*7%26))
		sb.WriteByte(byte('A' + i%26))
	}
	f := writeFile(t, dir, "t.txt", sb.String())
	load := func(seed uint64) *Dataset {
		ds, err := LoadData(DataConfig{Files: []string{f}, Tokenizer: tokenizer.Bytes(), Samples: 8, SeqLen: 50, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	a, b, c := load(1), load(1), load(2)
	if !slices.Equal(a.Index, b.Index) {
		t.Errorf("the same seed chose %v and %v", a.Index, b.Index)
	}
	if slices.Equal(a.Index, c.Index) {
		t.Errorf("seeds 1 and 2 chose the same windows %v", a.Index)
	}
	// The documented choice: the first Samples entries of a PCG(seed, 0) permutation.
	ds := a
	if want := rand.New(rand.NewPCG(1, 0)).Perm(5000 * 2 / 50)[:8]; !slices.Equal(ds.Index, want) {
		t.Errorf("seed 1 chose windows %v, the documented permutation gives %v", ds.Index, want)
	}
	for i := range ds.Index {
		for j := range i {
			lo, hi := ds.Index[j]*50, ds.Index[j]*50+50
			if s := ds.Index[i] * 50; s < hi && s+50 > lo {
				t.Errorf("windows %d and %d overlap", ds.Index[i], ds.Index[j])
			}
		}
	}
}

func TestLoadJSONL(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "d.jsonl", "\uFEFF"+`{"text": "hello world", "meta": {"x": 1}}

{"id": 3, "text": "a"}
{"text": "`+strings.Repeat("z", 40)+`"}
  {"text": "short doc"}  `+"\r\n")
	ds, err := LoadData(DataConfig{Files: []string{f}, Tokenizer: tokenizer.Bytes(), Samples: 3, SeqLen: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	docs := [][]int{tokenizer.Bytes().Encode("hello world"), tokenizer.Bytes().Encode(strings.Repeat("z", 16)),
		tokenizer.Bytes().Encode("short doc")} // "a" has 1 token and is skipped
	for i, s := range ds.Samples {
		if !slices.Equal(s, docs[ds.Index[i]]) {
			t.Errorf("sample %d = %q, want document %d %q", i, tokenizer.Bytes().Decode(s), ds.Index[i],
				tokenizer.Bytes().Decode(docs[ds.Index[i]]))
		}
	}
	if ds.Summary.Format != "jsonl" || ds.Summary.Tokens != 11+16+9 {
		t.Errorf("summary %+v", ds.Summary)
	}
	if _, err := LoadData(DataConfig{Files: []string{f}, Tokenizer: tokenizer.Bytes(), Samples: 4, SeqLen: 16}); err == nil ||
		!strings.Contains(err.Error(), "has 3 documents of at least 2 tokens, 4 samples requested") {
		t.Errorf("too few documents: %v", err)
	}
	ds, err = LoadData(DataConfig{Files: []string{f}, Tokenizer: tokenizer.Bytes(), Samples: 4, SeqLen: 16, AllowFewer: true})
	if err != nil || len(ds.Samples) != 3 || ds.Summary.Samples != 3 {
		t.Errorf("allow fewer: %v, %v", err, ds)
	}
}

func TestLoadDataErrors(t *testing.T) {
	dir := t.TempDir()
	short := writeFile(t, dir, "a.txt", strings.Repeat("x", 300))
	long := writeFile(t, dir, "long.txt", strings.Repeat("y", 2000))
	empty := writeFile(t, dir, "empty.jsonl", "\n  \n")
	badJSON := writeFile(t, dir, "bad.jsonl", "{\"text\": \"ok\"}\nnot json\n")
	badObj := writeFile(t, dir, "obj.jsonl", "{\"text\": \"ok\"}\n\n{\"text\": \"ok\"\n")
	noText := writeFile(t, dir, "notext.jsonl", "{\"body\": \"x\"}\n")
	numText := writeFile(t, dir, "num.jsonl", "{\"text\": 5}\n")
	nullText := writeFile(t, dir, "null.jsonl", "{\"text\": null}\n")
	tiny := writeFile(t, dir, "tiny.jsonl", "{\"text\": \"a\"}\n{\"text\": \"\"}\n")
	tok := tokenizer.Bytes()
	cases := []struct {
		c    DataConfig
		want string
	}{
		{DataConfig{Files: []string{short}, Tokenizer: tok}, "calibration text " + short + " has 300 tokens, one sample needs 512"},
		{DataConfig{Files: []string{short, short}, Tokenizer: tok, SeqLen: 1000}, short + ", " + short + " has 600 tokens, one sample needs 1000"},
		{DataConfig{Files: []string{long}, Tokenizer: tok, Samples: 5, SeqLen: 500}, "has 4 windows of 500 tokens, 5 samples requested"},
		{DataConfig{Files: []string{filepath.Join(dir, "missing.txt")}, Tokenizer: tok}, "missing.txt"},
		{DataConfig{Files: []string{filepath.Join(dir, "missing.jsonl")}, Tokenizer: tok}, "missing.jsonl"},
		{DataConfig{Files: []string{empty}, Tokenizer: tok}, "calibration file " + empty + " has no documents"},
		{DataConfig{Files: []string{badJSON}, Tokenizer: tok}, badJSON + " line 2: not a JSON object"},
		{DataConfig{Files: []string{badObj}, Tokenizer: tok}, badObj + " line 3:"},
		{DataConfig{Files: []string{noText}, Tokenizer: tok}, noText + " line 1: no \"text\" string field"},
		{DataConfig{Files: []string{numText}, Tokenizer: tok}, numText + " line 1:"},
		{DataConfig{Files: []string{nullText}, Tokenizer: tok}, nullText + " line 1: no \"text\""},
		{DataConfig{Files: []string{tiny}, Tokenizer: tok}, "has no document of at least 2 tokens"},
		{DataConfig{Files: []string{short, empty}, Tokenizer: tok}, "mix JSONL and plain text"},
		{DataConfig{Tokenizer: tok}, "no calibration files"},
		{DataConfig{Files: []string{short}}, "no tokenizer"},
		{DataConfig{Files: []string{short}, Tokenizer: tok, Samples: -1}, "-1 samples"},
		{DataConfig{Files: []string{short}, Tokenizer: tok, SeqLen: 1}, "sample length 1"},
		{DataConfig{Files: []string{short}, Tokenizer: tok, SeqLen: 1 << 40}, "sample length"},
	}
	for _, c := range cases {
		_, err := LoadData(c.c)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.c, err, c.want)
		}
	}
}
