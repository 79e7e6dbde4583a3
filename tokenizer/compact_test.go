package tokenizer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite data/gpt-neox-20b/tokenizer.bpe from tokenizer.json")

const (
	neoxJSONPath    = "data/gpt-neox-20b/tokenizer.json"
	neoxCompactPath = "data/gpt-neox-20b/tokenizer.bpe"
)

// gptNeoXJSON is the GPT-NeoX-20B tokenizer.json the compact form is made
// from.
var gptNeoXJSON = func() []byte {
	data, err := os.ReadFile(neoxJSONPath)
	if err != nil {
		panic(err)
	}
	return data
}()

// compactForm writes the tokenizer.json data in compact form (compact.go).
// It reads data with encoding/json and refuses what Parse refuses.
func compactForm(data []byte) ([]byte, error) {
	if _, err := parseReference(data); err != nil {
		return nil, err
	}
	var f jsonFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	o, err := settings(&f)
	if err != nil {
		return nil, err
	}
	out := []byte(compactMagic)
	str := func(s string) {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	var flags byte
	for _, f := range []struct {
		on  bool
		bit byte
	}{{o.nfc, compactNFC}, {o.prefix, compactPrefix}, {o.useRegex, compactRegex}, {o.ignoreMerges, compactIgnoreMerges}, {o.fuseUnk, compactFuseUnk}, {o.unk != nil, compactUnk}} {
		if f.on {
			flags |= f.bit
		}
	}
	out = append(out, flags)
	if o.unk != nil {
		str(*o.unk)
	}
	keys := slices.Collect(maps.Keys(f.Model.Vocab))
	sort.Slice(keys, func(i, j int) bool { return f.Model.Vocab[keys[i]] < f.Model.Vocab[keys[j]] })
	out = binary.AppendUvarint(out, uint64(len(keys)))
	prev := -1
	for _, k := range keys {
		id := f.Model.Vocab[k]
		out = binary.AppendUvarint(out, uint64(id-prev-1))
		str(k)
		prev = id
	}
	out = binary.AppendUvarint(out, uint64(len(f.AddedTokens)))
	for _, a := range f.AddedTokens {
		out = binary.AppendUvarint(out, uint64(a.ID))
		str(a.Content)
		var b byte
		for _, f := range []struct {
			on  bool
			bit byte
		}{{a.SingleWord, compactSingleWord}, {a.Lstrip, compactLstrip}, {a.Rstrip, compactRstrip}, {a.Normalized, compactNormalized}, {a.Special, compactSpecial}} {
			if f.on {
				b |= f.bit
			}
		}
		out = append(out, b)
	}
	merges, err := resolveMerges(f.Model.Merges, f.Model.Vocab)
	if err != nil {
		return nil, err
	}
	out = binary.AppendUvarint(out, uint64(len(merges)))
	for _, m := range merges {
		for _, id := range m {
			out = binary.AppendUvarint(out, uint64(id))
		}
	}
	return out, nil
}

// sameTokenizer reports how two tokenizers differ, or "" when they are the
// same: vocabulary, merges, decoded tokens, added tokens and options.
func sameTokenizer(a, b *BPE) string {
	// Every field but the word cache, its mutex and the vocabulary's lazy
	// construction is compared below; a new field must be added here.
	compared := []string{"vocab", "vocabOnce", "buildVocab", "byteID", "fffd", "merges", "tokens", "known", "rawAdded", "normAdded",
		"nfc", "prefix", "useRegex", "ignoreMerges", "unk", "fuseUnk", "eos", "size", "mu", "cache"}
	var fields []string
	for i := range reflect.TypeFor[BPE]().NumField() {
		fields = append(fields, reflect.TypeFor[BPE]().Field(i).Name)
	}
	if !slices.Equal(fields, compared) {
		return "BPE has fields " + fmt.Sprint(fields) + ", sameTokenizer compares " + fmt.Sprint(compared)
	}
	switch {
	case !maps.Equal(a.vocabulary(), b.vocabulary()):
		return "vocabularies differ"
	case !maps.Equal(a.merges, b.merges):
		return "merges differ"
	case !slices.EqualFunc(a.tokens, b.tokens, bytes.Equal) || !slices.Equal(a.known, b.known):
		return "decoded tokens differ"
	case a.byteID != b.byteID || !slices.Equal(a.fffd, b.fffd):
		return "byte tokens differ"
	case !reflect.DeepEqual(a.rawAdded, b.rawAdded) || !reflect.DeepEqual(a.normAdded, b.normAdded):
		return "added tokens differ"
	case a.nfc != b.nfc || a.prefix != b.prefix || a.useRegex != b.useRegex || a.ignoreMerges != b.ignoreMerges ||
		a.unk != b.unk || a.fuseUnk != b.fuseUnk || a.eos != b.eos || a.size != b.size:
		return "options differ"
	}
	return ""
}

// loadCompactOf parses data, writes its compact form and loads that.
func loadCompactOf(t *testing.T, data []byte) (*BPE, []byte) {
	t.Helper()
	c, err := compactForm(data)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := loadCompact(string(c))
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

// The committed compact form of the GPT-NeoX-20B tokenizer is the one
// compactForm writes from tokenizer.json (go generate ./tokenizer/ rewrites
// it), GPTNeoX loads it, and it is the same tokenizer as Parse of the JSON,
// encoding every test vector the same way.
func TestCompactGPTNeoX(t *testing.T) {
	want, err := compactForm(gptNeoXJSON)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		// The test binary embeds the file as it was before: check the
		// new one with the next go test.
		if err := os.WriteFile(neoxCompactPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", neoxCompactPath, len(want))
		return
	}
	got, err := os.ReadFile(neoxCompactPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || gptNeoXCompact != string(want) {
		t.Fatalf("%s is not the compact form of %s: run go generate ./tokenizer/", neoxCompactPath, neoxJSONPath)
	}
	tok, err := GPTNeoX()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := parseReference(gptNeoXJSON)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := loadCompact(gptNeoXCompact)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameTokenizer(fresh, ref); d != "" {
		t.Fatalf("embedded compact form and Parse of %s: %s", neoxJSONPath, d)
	}
	if len(ref.vocab) != 50254 || len(ref.merges) != 50009 || tok.VocabSize() != 50277 {
		t.Errorf("%d tokens, %d merges, vocabulary size %d", len(ref.vocab), len(ref.merges), tok.VocabSize())
	}
	for _, s := range vectorTexts(t) {
		if got, want := tok.Encode(s), ref.Encode(s); !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, Parse of the JSON gives %v", s, got, want)
		}
	}
}

// The compact form reads back to the tokenizer it was written from, for
// every option and merges shape.
func TestCompactForms(t *testing.T) {
	docs := map[string][]byte{"flags": flagTokenizerJSON(t)}
	for _, p := range []bool{false, true} {
		for _, r := range []bool{false, true} {
			for _, ig := range []bool{false, true} {
				docs[fmt.Sprint("synthetic ", p, r, ig)] = syntheticJSON(t, p, r, ig, p != r)
			}
		}
	}
	docs["unk"] = []byte(`{"normalizer": {"type": "NFC"}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true}, "decoder": {"type": "ByteLevel"},
		"added_tokens": [{"id": 9, "content": "<x>", "single_word": true, "lstrip": true, "rstrip": true, "normalized": true, "special": true}, {"id": 7, "content": ""}],
		"model": {"vocab": {"a": 0, "b": 1, "ab": 2, "<unk>": 5}, "merges": [["a", "b"], ["a", "b"]], "unk_token": "<unk>", "fuse_unk": true, "ignore_merges": true}}`)
	for name, data := range docs {
		tok, _ := loadCompactOf(t, data)
		ref, err := Parse(data, name)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameTokenizer(tok, ref); d != "" {
			t.Errorf("%s: %s", name, d)
		}
		for _, s := range []string{"hello", " hello!h", "ab abab <x> a<x>b \xff", "hellohello </s>"} {
			if got, want := tok.Encode(s), ref.Encode(s); !slices.Equal(got, want) {
				t.Errorf("%s: Encode(%q) = %v, want %v", name, s, got, want)
			}
		}
	}
}

// Corrupt compact data is an error, never a panic or a tokenizer that
// encodes to ids outside its vocabulary.
func FuzzCompact(f *testing.F) {
	c, err := compactForm(syntheticJSON(f, true, true, false, false))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c)
	f.Add(c[:len(c)-1])
	f.Add(append(slices.Clone(c), 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := loadCompact(string(data))
		if err != nil {
			return
		}
		n := tok.VocabSize()
		ids := tok.Encode("hello </s> wörld  !h\x00\xff 123")
		for _, id := range ids {
			if id < 0 || id >= n {
				t.Fatalf("encoded to id %d, vocabulary of %d", id, n)
			}
		}
		tok.Decode(append(ids, -1, n))
	})
}

// Truncated and damaged copies of the embedded compact form are errors.
func TestCompactCorrupt(t *testing.T) {
	c := gptNeoXCompact
	for _, n := range []int{0, 10, len(compactMagic), len(compactMagic) + 1, len(c) / 3, len(c) / 2, len(c) - 1} {
		if _, err := loadCompact(c[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := loadCompact(c + "x"); err == nil {
		t.Error("a byte appended: no error")
	}
}

// The vocabulary map of a compact tokenizer is built once, on first use,
// also when concurrent encodes need it (ignore_merges).
func TestCompactLazyVocabulary(t *testing.T) {
	data := syntheticJSON(t, false, true, true, false)
	tok, _ := loadCompactOf(t, data)
	if tok.vocab != nil {
		t.Fatal("vocabulary map built while loading")
	}
	ref, err := Parse(data, "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	want := ref.Encode("hello hellohello")
	done := make(chan []int)
	for range 4 {
		go func() { done <- tok.Encode("hello hellohello") }()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Errorf("Encode = %v, want %v", got, want)
		}
	}
	if !maps.Equal(tok.vocabulary(), ref.vocab) {
		t.Error("lazily built vocabulary differs")
	}
}
