package tokenizer

import (
	"encoding/json"
	"slices"
	"testing"
)

// syntheticJSON builds a small byte-level BPE tokenizer.json: the 256 byte
// tokens with id = byte value, merges "! h", "h e", "l l", "he ll", "Ġ h"
// (ranks 0..4) and an extra vocabulary word "hello" that no merge produces.
func syntheticJSON(t testing.TB, prefixSpace, useRegex, ignoreMerges, pairMerges bool) []byte {
	t.Helper()
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(byteToRune[b])] = b
	}
	words := []string{"!h", "he", "ll", "hell", "Ġh", "hello"}
	for i, w := range words {
		vocab[w] = 256 + i
	}
	var merges any = []string{"! h", "h e", "l l", "he ll", "Ġ h"}
	if pairMerges {
		merges = [][2]string{{"!", "h"}, {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"Ġ", "h"}}
	}
	spec := map[string]any{
		"version":       "1.0",
		"added_tokens":  []map[string]any{{"id": 300, "content": "</s>", "special": true, "normalized": false}},
		"normalizer":    nil,
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": prefixSpace, "use_regex": useRegex},
		"decoder":       map[string]any{"type": "ByteLevel"},
		"model": map[string]any{
			"type": "BPE", "vocab": vocab, "merges": merges, "ignore_merges": ignoreMerges,
			"dropout": nil, "unk_token": nil,
		},
	}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSyntheticOptions(t *testing.T) {
	type opts struct{ prefix, regex, ignore, pairs bool }
	cases := []struct {
		o    opts
		text string
		want []int
	}{
		{opts{false, true, false, false}, "hello", []int{259, 'o'}},
		{opts{false, true, false, true}, "hello", []int{259, 'o'}},
		{opts{true, true, false, false}, "hello", []int{' ', 259, 'o'}},            // " hello": "h e" (rank 1) beats "Ġ h" (rank 4)
		{opts{true, true, false, false}, " h", []int{260}},                         // already starts with a space
		{opts{true, true, false, false}, "a</s>b", []int{' ', 'a', 300, ' ', 'b'}}, // each stretch gets its space
		{opts{false, true, true, false}, "hello", []int{261}},
		{opts{false, true, true, false}, "hellohello", []int{259, 'o', 259, 'o'}},
		{opts{false, true, false, false}, "!he", []int{'!', 257}},
		{opts{false, false, false, false}, "!he", []int{256, 'e'}}, // no regex: "! h" (rank 0) crosses the piece boundary
		{opts{false, true, false, false}, "", []int{}},
	}
	for _, c := range cases {
		tok, err := Parse(syntheticJSON(t, c.o.prefix, c.o.regex, c.o.ignore, c.o.pairs), "synthetic")
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Encode(c.text); !slices.Equal(got, c.want) {
			t.Errorf("%+v Encode(%q) = %v, want %v", c.o, c.text, got, c.want)
		}
		if eos, ok := tok.EOS(); !ok || eos != 300 {
			t.Errorf("EOS = %d, %v", eos, ok)
		}
		if tok.VocabSize() != 301 {
			t.Errorf("VocabSize = %d", tok.VocabSize())
		}
	}
}

// FuzzParse feeds mutated tokenizer.json files to Parse: it must return an
// error or a working tokenizer, never panic.
func FuzzParse(f *testing.F) {
	f.Add(syntheticJSON(f, false, true, false, false))
	f.Add(syntheticJSON(f, true, false, true, true))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		ids := tok.Encode("hello </s> wörld  !h")
		tok.Decode(append(ids, -1, 1<<40))
	})
}
