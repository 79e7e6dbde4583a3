package tokenizer

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes as a tokenizer.json file: Load returns an
// error or a tokenizer that encodes to ids within its vocabulary and decodes
// any ids, and never panics.
func FuzzLoad(f *testing.F) {
	f.Add(syntheticJSON(f, false, true, false, false))
	f.Add(syntheticJSON(f, true, false, true, true))
	f.Add([]byte(`{"version": "1.0", "added_tokens": [{"id": 2, "content": "<|endoftext|>", "special": true, "lstrip": true, "rstrip": false, "single_word": false, "normalized": false}],
"normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
"decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 3}, "merges": ["a b"], "dropout": null}}`))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}}`))
	f.Add([]byte(`{"normalizer": {"type": "NFC"}, "model": {"type": "WordPiece", "vocab": {}}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		path := filepath.Join(dir, "tokenizer.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tok, err := Load(path)
		if err != nil {
			return
		}
		n := tok.VocabSize()
		ids := tok.Encode("hello </s> <|endoftext|>wörld  !h\x00\xff 123")
		for _, id := range ids {
			if id < 0 || id >= n {
				t.Fatalf("encoded to id %d, vocabulary of %d", id, n)
			}
		}
		tok.Decode(append(ids, -1, n, 1<<40))
		tok.EOS()
	})
}
