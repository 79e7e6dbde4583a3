package calib

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/quamba/quamba/tokenizer"
)

// FuzzLoadJSONL feeds arbitrary bytes as a JSONL calibration file: LoadData
// returns an error or a dataset of at most the asked samples, each within
// the sequence length and the vocabulary, and never panics.
func FuzzLoadJSONL(f *testing.F) {
	f.Add([]byte("\uFEFF" + `{"text": "hello world", "meta": {"x": 1}}` + "\n\n" + `{"text": "second document here"}` + "\r\n" + `  {"text": "third"}`))
	f.Add([]byte(`{"text": "a"}` + "\n" + `{"text": ""}` + "\n" + `{"text": "\u00e9\ud83d\ude00 unicode"}` + "\n"))
	f.Add([]byte("{\"text\": \"ok\"}\nnot json\n"))
	f.Add([]byte(`{"title": "no text"}`))
	f.Add([]byte("\n  \n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		path := filepath.Join(dir, "fuzz.jsonl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		const n, l = 3, 8
		ds, err := LoadData(DataConfig{Files: []string{path}, Tokenizer: tokenizer.Bytes(), Samples: n, SeqLen: l, Seed: 1, AllowFewer: true})
		if err != nil {
			return
		}
		if len(ds.Samples) > n || len(ds.Index) != len(ds.Samples) {
			t.Fatalf("%d samples, %d indices", len(ds.Samples), len(ds.Index))
		}
		for _, s := range ds.Samples {
			if len(s) > l {
				t.Fatalf("a sample of %d tokens, more than %d", len(s), l)
			}
			for _, id := range s {
				if id < 0 || id >= tokenizer.Bytes().VocabSize() {
					t.Fatalf("token %d", id)
				}
			}
		}
	})
}
