package tokenizer

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkScanner parses data with the scanner and with encoding/json: when
// the scanner reads it, the reference must give the same tokenizer; when the
// reference fails, the scanner must not have read it. It returns whether the
// scanner read it.
func checkScanner(t *testing.T, name string, data []byte) bool {
	t.Helper()
	fast, ok := parseScanned(data)
	ref, err := parseReference(data)
	switch {
	case err != nil && ok:
		t.Errorf("%s: the scanner reads a file encoding/json rejects (%v)", name, err)
	case err == nil && ok:
		if d := sameTokenizer(fast, ref); d != "" {
			t.Errorf("%s: scanner and encoding/json: %s", name, d)
		}
	}
	return ok
}

// neoxVariants returns the embedded GPT-NeoX-20B tokenizer.json and the same
// document written differently: re-encoded by encoding/json (raw UTF-8
// instead of \u escapes, <>& escaped, no indentation, keys sorted) and with
// the merges as [left, right] pairs.
func neoxVariants(t *testing.T) map[string][]byte {
	t.Helper()
	var spec map[string]any
	if err := json.Unmarshal(gptNeoXJSON, &spec); err != nil {
		t.Fatal(err)
	}
	reencoded, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	m := spec["model"].(map[string]any)
	var pairs [][2]string
	for _, l := range m["merges"].([]any) {
		a, b, _ := strings.Cut(l.(string), " ")
		pairs = append(pairs, [2]string{a, b})
	}
	m["merges"] = pairs
	paired, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"embedded": gptNeoXJSON, "re-encoded": reencoded, "pair merges": paired}
}

// The scanner reads the GPT-NeoX-20B tokenizer.json (as embedded and
// written differently) to the same vocabulary, merges and tokenizer as
// encoding/json, and both encode every test vector the same way.
func TestScannerMatchesReference(t *testing.T) {
	texts := vectorTexts(t)
	for name, data := range neoxVariants(t) {
		if !checkScanner(t, name, data) {
			t.Fatalf("%s: the scanner does not read the GPT-NeoX-20B tokenizer.json", name)
		}
		fast, _ := parseScanned(data)
		ref, err := parseReference(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(fast.vocab) != 50254 || len(fast.merges) != 50009 || fast.VocabSize() != 50277 {
			t.Errorf("%s: %d tokens, %d merges, vocabulary size %d", name, len(fast.vocab), len(fast.merges), fast.VocabSize())
		}
		for _, s := range texts {
			if got, want := fast.Encode(s), ref.Encode(s); !slices.Equal(got, want) {
				t.Errorf("%s: Encode(%q) = %v, encoding/json's tokenizer gives %v", name, s, got, want)
			}
		}
	}
	if !checkScanner(t, "flags", flagTokenizerJSON(t)) {
		t.Error("the scanner does not read the GPT-NeoX-20B tokenizer.json with the flag tokens")
	}
}

// vectorTexts returns the texts of the GPT-NeoX-20B test vectors.
func vectorTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	for _, path := range []string{"data/gpt-neox-20b/test_vectors.json", "testdata/reference_vectors.json", "testdata/random_vectors.json"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var vf vectorFile
		if err := json.Unmarshal(data, &vf); err != nil {
			t.Fatal(err)
		}
		for _, v := range vf.Vectors {
			texts = append(texts, v.Text)
		}
	}
	return texts
}

// Documents the scanner must read exactly as encoding/json does, or leave to
// it: escapes, invalid UTF-8, surrogates, case-folded and repeated keys,
// numbers, merges of both shapes and of neither, and broken syntax.
func TestScannerCorners(t *testing.T) {
	const pre = `"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}`
	doc := func(model string) string {
		return `{` + pre + `, "model": {"type": "BPE", ` + model + `}}`
	}
	const abVocab = `"vocab": {"a": 0, "b": 1, "ab": 2}`
	read := map[string]string{
		"lines":           doc(abVocab + `, "merges": ["a b"]`),
		"pairs":           doc(abVocab + `, "merges": [["a", "b"]]`),
		"no merges":       doc(abVocab),
		"empty merges":    doc(abVocab + `, "merges": [ ]`),
		"empty vocab":     doc(`"vocab": {}`),
		"escapes":         doc(`"vocab": {"\u0061": 0, "\"\\\/\b\f\n\r\t": 1, "\u00e9\u4E2d": 2, "\u0061\"": 3, "\u0000": 4, "\u0022": 5}, "merges": ["\u0061 \"", "a\u0020\""]`),
		"raw utf-8":       doc(`"vocab": {"é": 0, "中": 1, "é中": 2, "ĠĠ": 3, "Ġ": 4}, "merges": ["é 中", "Ġ Ġ"]`),
		"surrogates":      doc(`"vocab": {"\ud83d\ude00": 0, "\ud83d": 1, "\ude00x": 2, "\ud83d\u0041": 3}`),
		"invalid utf-8":   doc("\"vocab\": {\"a\xff\": 0, \"\xc3\": 1, \"\xed\xa0\x80\": 2, \"\xe2\x82\": 3, \"\xf0\x9f\x98\x80\": 4}"),
		"empty key":       doc(`"vocab": {"": 0, "a": 1}, "merges": [" a"]`),
		"repeated key":    doc(`"vocab": {"a": 0, "a": 1, "b": 2}`),
		"folded keys":     `{"Pre_Tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "MODEL": {"Vocab": {"a": 0}}}`,
		"kelvin top key":  `{"pre_to\u212Aenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"vocab": {"a": 0}}}`,
		"kelvin key":      `{` + pre + `, "model": {"vocab": {"a": 0}, "\u212Aelvin": 1, "type": "BPE", "continuing_\u017Fubword_prefix": "x"}}`,
		"repeated fields": `{` + pre + `, "model": {"vocab": {"a": 0}}, "model": {"vocab": {"b": 1}}, "decoder": {"type": "ByteLevel"}}`,
		"repeated vocab":  doc(`"vocab": {"a": 0}, "vocab": {"b": 1}`),
		"numbers":         doc(`"vocab": {"a": 0, "b": 1.0, "c": 1e2, "d": -0}`),
		"big number":      doc(`"vocab": {"a": 123456789012345678901}`),
		"leading zero":    doc(`"vocab": {"a": 01}`),
		"null vocab":      doc(`"vocab": null`),
		"null merges":     doc(abVocab + `, "merges": null`),
		"null merge":      doc(abVocab + `, "merges": [null]`),
		"short pair":      doc(abVocab + `, "merges": [["a"]]`),
		"long pair":       doc(abVocab + `, "merges": [["a", "b", "c"]]`),
		"mixed merges":    doc(abVocab + `, "merges": ["a b", ["a", "b"]]`),
		"merge spaces":    doc(abVocab + `, "merges": ["a b c"]`),
		"unknown merge":   doc(abVocab + `, "merges": ["b a"]`),
		"merges first":    `{` + pre + `, "model": {"merges": ["a b"], "type": "BPE", ` + abVocab + `}}`,
		"flags":           doc(abVocab + `, "dropout": null, "unk_token": "a", "fuse_unk": true, "ignore_merges": true, "continuing_subword_prefix": null, "end_of_word_suffix": "", "byte_fallback": false`),
		"bad flag":        doc(abVocab + `, "fuse_unk": "yes"`),
		"unknown fields":  `{"version": "1.0", "truncation": null, "padding": {"x": [1, 2.5e3, true, false, null, "]}"]}, ` + pre + `, "model": {"extra": [{}], ` + abVocab + `}}`,
		"added tokens":    `{"added_tokens": [{"id": 3, "content": "</s>", "special": true, "normalized": false}], "normalizer": {"type": "NFC"}, ` + pre + `, "model": {` + abVocab + `}}`,
		"null model":      `{` + pre + `, "model": null}`,
		"array model":     `{` + pre + `, "model": []}`,
		"trailing":        doc(abVocab) + ` x`,
		"trailing space":  doc(abVocab) + " \n\t\r",
		"two documents":   doc(abVocab) + doc(abVocab),
		"control char":    doc(`"vocab": {"a` + "\x01" + `": 0}`),
		"bad escape":      doc(`"vocab": {"\x": 0}`),
		"short escape":    doc(`"vocab": {"\u12": 0}`),
		"unterminated":    doc(`"vocab": {"a": 0`),
		"missing colon":   doc(`"vocab": {"a" 0}`),
		"trailing comma":  doc(`"vocab": {"a": 0,}`),
		"bad skipped":     `{"version": [1, }, ` + pre + `, "model": {` + abVocab + `}}`,
		"bad literal":     `{"padding": nul, ` + pre + `, "model": {` + abVocab + `}}`,
		"mismatched":      `{"padding": {"a": [}], ` + pre + `, "model": {` + abVocab + `}}`,
		"not an object":   `[1, 2, 3]`,
		"empty":           ``,
		"bom":             "\ufeff" + doc(abVocab),
	}
	scanned := 0
	for name, data := range read {
		if checkScanner(t, name, []byte(data)) {
			scanned++
		}
	}
	// The common shapes must take the fast path.
	for _, name := range []string{"lines", "pairs", "no merges", "empty merges", "escapes", "raw utf-8", "surrogates", "invalid utf-8", "empty key", "merges first", "flags", "unknown fields", "added tokens", "trailing space"} {
		if _, ok := parseScanned([]byte(read[name])); !ok {
			t.Errorf("%s: not read by the scanner", name)
		}
	}
	for _, name := range []string{"repeated key", "folded keys", "kelvin key", "kelvin top key", "repeated fields", "repeated vocab", "numbers", "null vocab", "mixed merges", "bad skipped", "bad literal", "mismatched", "trailing", "two documents"} {
		if _, ok := parseScanned([]byte(read[name])); ok {
			t.Errorf("%s: read by the scanner, should be left to encoding/json", name)
		}
	}
	for _, p := range []bool{false, true} {
		for _, ig := range []bool{false, true} {
			checkScanner(t, "synthetic", syntheticJSON(t, p, !p, ig, p != ig))
		}
	}
}

// FuzzScanner: on any input the scanner either leaves the file to
// encoding/json or reads the same tokenizer from it.
func FuzzScanner(f *testing.F) {
	f.Add(syntheticJSON(f, false, true, false, false))
	f.Add(syntheticJSON(f, true, false, true, true))
	f.Add([]byte(`{"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"vocab": {"a": 0, "b": 1, "ab": 2, "\u00e9\"": 3}, "merges": ["a b"]}}`))
	f.Add([]byte(`{"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		checkScanner(t, "fuzz", data)
	})
}

// BenchmarkParseGPTNeoX parses the embedded GPT-NeoX-20B tokenizer.json, the
// start-up cost of every command that uses it.
func BenchmarkParseGPTNeoX(b *testing.B) {
	benchmarkParse(b, len(gptNeoXJSON), Parse)
}

// BenchmarkParseGPTNeoXReference parses it with encoding/json only.
func BenchmarkParseGPTNeoXReference(b *testing.B) {
	benchmarkParse(b, len(gptNeoXJSON), func(data []byte, _ string) (*BPE, error) { return parseReference(data) })
}

func benchmarkParse(b *testing.B, size int, parse func([]byte, string) (*BPE, error)) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := processCPUTime()
	for b.Loop() {
		if _, err := parse(gptNeoXJSON, "gpt-neox-20b"); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time per parse (garbage collection included), which other load
	// on the machine changes less than wall time.
	if cpu := processCPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkLoadGPTNeoX loads the embedded compact form, what GPTNeoX does
// once per process.
func BenchmarkLoadGPTNeoX(b *testing.B) {
	benchmarkParse(b, len(gptNeoXCompact), func([]byte, string) (*BPE, error) { return loadCompact(gptNeoXCompact) })
}
