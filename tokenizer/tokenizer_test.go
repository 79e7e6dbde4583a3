package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"golang.org/x/text/unicode/norm"
)

func ExampleGPTNeoX() {
	tok, err := GPTNeoX()
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("Hello world  <|endoftext|>")
	fmt.Println(ids)
	fmt.Printf("%q\n", tok.Decode(ids))
	eos, _ := tok.EOS()
	fmt.Println(tok.VocabSize(), eos)
	// Output:
	// [12092 1533 50276 0]
	// "Hello world  <|endoftext|>"
	// 50277 0
}

func ExampleStreamDecoder() {
	tok, err := GPTNeoX()
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("naïve 😀")
	d := NewStreamDecoder(tok)
	for _, id := range ids {
		fmt.Printf("%d %q\n", id, d.Add(id))
	}
	fmt.Printf("%q\n", d.Flush())
	// Output:
	// 2072 "na"
	// 30180 "ïve"
	// 49042 " "
	// 211 "😀"
	// ""
}

// normalizedLikeEncode is what Decode(Encode(s)) must return: s with every
// stretch between unnormalized added tokens in NFC, and bytes without a token
// replaced by U+FFFD.
func normalizedLikeEncode(tok *BPE, s string) string {
	var b strings.Builder
	tok.rawAdded.split(s, func(p string) {
		for _, c := range []byte(nfc(p)) {
			if tok.byteID[c] < 0 {
				b.WriteString("\uFFFD")
			} else {
				b.WriteByte(c)
			}
		}
	}, func(id int) { b.Write(tok.tokens[id]) })
	return b.String()
}

func roundTripSeeds() []string {
	return []string{
		"", "Hello world", "a  b", "a\x80b\xbf", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "a" + strings.Repeat(" ", 49) + "b", "\t\n \r\n", "I can't",
		"café cafe\u0301", "日本語 😀", "\xff\xfe invalid \xc3", "\xe2\x82", "a\x80b", "<|endoftext|>x<|padding|>",
		"<|endoftext", "e" + strings.Repeat("\u0301\u0316", 25), "12345678901234567890", "x\u034fy",
	}
}

func checkRoundTrip(t *testing.T, tok *BPE, s string) {
	ids := tok.Encode(s)
	for _, id := range ids {
		if id < 0 || id >= tok.VocabSize() {
			t.Fatalf("Encode(%q) gave id %d outside the vocabulary", s, id)
		}
	}
	if got, want := tok.Decode(ids), normalizedLikeEncode(tok, s); got != want {
		t.Fatalf("Decode(Encode(%q)) = %q, want %q", s, got, want)
	}
	representable := true
	for i := 0; i < len(s); i++ {
		representable = representable && tok.byteID[s[i]] >= 0
	}
	if representable && norm.NFC.IsNormalString(s) && !strings.Contains(s, "<|") {
		if got := tok.Decode(ids); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q for NFC input", s, got)
		}
	}
	d := NewStreamDecoder(tok)
	var streamed strings.Builder
	for _, id := range ids {
		streamed.WriteString(d.Add(id))
	}
	streamed.WriteString(d.Flush())
	if streamed.String() != tok.Decode(ids) {
		t.Fatalf("streamed decode of %q = %q, want %q", s, streamed.String(), tok.Decode(ids))
	}
	if b := Bytes(); b.Decode(b.Encode(s)) != s {
		t.Fatalf("byte tokenizer does not round-trip %q", s)
	}
}

func TestRoundTrip(t *testing.T) {
	tok := neox(t)
	for _, s := range roundTripSeeds() {
		checkRoundTrip(t, tok, s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{" ", "  ", "\t", "\n", "a", "Z", "7", "'", "'s", ".", "é", "e\u0301", "\u0301", "日", "😀", "\xff", "\xe2\x82", "<|endoftext|>"}
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkRoundTrip(t, tok, b.String())
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range roundTripSeeds() {
		f.Add(s)
	}
	tok := neox(f)
	f.Fuzz(func(t *testing.T, s string) { checkRoundTrip(t, tok, s) })
}

var gpt2Regexp = regexp2.MustCompile(`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, regexp2.None)

// regexpPieces splits s with regexp2 and returns the byte offsets where
// pieces end. Invalid bytes become U+FFFD for the regexp engine.
func regexpPieces(t *testing.T, s string) []int {
	var runes []rune
	var offs []int // byte offset of each rune, then len(s)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		runes = append(runes, r)
		offs = append(offs, i)
		i += n
	}
	offs = append(offs, len(s))
	var ends []int
	m, err := gpt2Regexp.FindRunesMatch(runes)
	for ; m != nil && err == nil; m, err = gpt2Regexp.FindNextMatch(m) {
		ends = append(ends, offs[m.Index+m.Length])
	}
	if err != nil {
		t.Fatal(err)
	}
	return ends
}

func scannerPieces(s string) []int {
	var ends []int
	for i := 0; i < len(s); {
		i = nextPiece(s, i)
		ends = append(ends, i)
	}
	return ends
}

func checkPreTokenizer(t *testing.T, s string) {
	if got, want := scannerPieces(s), regexpPieces(t, s); !slices.Equal(got, want) {
		t.Fatalf("pieces of %q end at %v, regexp2 says %v", s, got, want)
	}
}

func preTokenizerSeeds() []string {
	return []string{
		"", "Hello world", "  x", "x  ", " \n x", "a\n\nb", "'s's 're'll 'x", " 's", "x''s", "12 345", " !!", "\u00a0a",
		"\u3000\u3000x", "\x1c\x1d", "\xff\xfe", "a\xc3b", "😀 😀", "١٢٣", "\u2028", "\t \t",
	}
}

func TestPreTokenizer(t *testing.T) {
	for _, s := range preTokenizerSeeds() {
		checkPreTokenizer(t, s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{" ", " ", "\t", "\n", "\r", "\u00a0", "\u3000", "\x1c", "a", "é", "Ж", "7", "٣", "½", "'", "s", "t", "r", "e", "l", "d", "v", "m", ".", "-", "😀", "\u0301", "\xff"}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkPreTokenizer(t, b.String())
	}
	// Every character's class, and every 97th character between letters,
	// spaces and a contraction.
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		c := string(r)
		if got, want := runeClass(r), regexpClass(r); got != want {
			t.Fatalf("class of %U is %d, regexp2 says %d", r, got, want)
		}
		if r%97 == 0 {
			checkPreTokenizer(t, "a "+c+c+" 'd"+c)
		}
	}
}

var classRegexps = []*regexp2.Regexp{
	classLetter: regexp2.MustCompile(`^\p{L}$`, regexp2.None),
	classNumber: regexp2.MustCompile(`^\p{N}$`, regexp2.None),
	classSpace:  regexp2.MustCompile(`^\s$`, regexp2.None),
}

func regexpClass(r rune) uint8 {
	for c, re := range classRegexps {
		if re == nil {
			continue
		}
		if ok, _ := re.MatchRunes([]rune{r}); ok {
			return uint8(c)
		}
	}
	return classOther
}

func FuzzPreTokenizer(f *testing.F) {
	for _, s := range preTokenizerSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkPreTokenizer)
}

// Both merge loops give the same result on every word of a text and on
// long repetitive words.
func TestMergeLoopsAgree(t *testing.T) {
	tok := neox(t)
	text := "The quick brown fox's 1234567 jumps  over\n\nthe lazy dog. Ünïcödé 日本語 😀😀😀 " +
		strings.Repeat("a", 300) + " " + strings.Repeat("ab", 200) + " " + strings.Repeat("1", 257) + " " +
		strings.Repeat("=-", 150) + strings.Repeat(" ", 100) + strings.Repeat("hello", 40)
	if data, err := os.ReadFile("../../shared/data/text/tinyshakespeare.txt"); err == nil {
		text += string(data[:200000])
	}
	words := map[string]bool{}
	for i := 0; i < len(text); {
		j := nextPiece(text, i)
		words[text[i:j]] = true
		i = j
	}
	for w := range words {
		sym := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			sym[i] = tok.byteID[w[i]]
		}
		lin := tok.mergeLinear(slices.Clone(sym))
		hp := tok.mergeHeap(slices.Clone(sym))
		if !slices.Equal(lin, hp) {
			t.Fatalf("word %q: linear merge %v, heap merge %v", w, lin, hp)
		}
	}
}

// nfcSlow agrees with golang.org/x/text wherever the latter needs no
// Stream-Safe CGJ, and long runs of combining marks get no CGJ.
func TestNFC(t *testing.T) {
	for r := rune(0); r < 0x30000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue
		}
		for _, s := range []string{string(r), norm.NFD.String(string(r)), "a" + string(r) + "\u0323"} {
			if got, want := nfcSlow(s), norm.NFC.String(s); got != want {
				t.Fatalf("nfcSlow(%+q) = %+q, want %+q", s, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	marks := []rune{'a', 'e', 'o', 0x0301, 0x0308, 0x0323, 0x0327, 0x0316, 0x031b, 0x1100, 0x1161, 0x11a8, 0x0b47, 0x0b3e, 0x05b0, 0x0f71}
	for range 5000 {
		rs := make([]rune, rng.IntN(12))
		for i := range rs {
			rs[i] = marks[rng.IntN(len(marks))]
		}
		s := string(rs)
		if got, want := nfcSlow(s), norm.NFC.String(s); got != want {
			t.Fatalf("nfcSlow(%+q) = %+q, want %+q", s, got, want)
		}
	}
	long := "e" + strings.Repeat("\u0301\u0316", 20) + "\xff"
	want := "\u00e9" + strings.Repeat("\u0316", 20) + strings.Repeat("\u0301", 19) + "\xff"
	if got := nfc(long); got != want {
		t.Errorf("nfc(long run) = %+q, want %+q", got, want)
	}
}

func TestBytes(t *testing.T) {
	b := Bytes()
	if b.VocabSize() != 256 {
		t.Errorf("VocabSize = %d", b.VocabSize())
	}
	if _, ok := b.EOS(); ok {
		t.Error("the byte tokenizer has no EOS")
	}
	if got := b.Encode("A\xff\x00é"); !slices.Equal(got, []int{65, 255, 0, 0xc3, 0xa9}) {
		t.Errorf("Encode = %v", got)
	}
	if got := b.Decode([]int{104, -1, 105, 256}); got != "hi" {
		t.Errorf("Decode = %q", got)
	}
}

func TestStreamDecoderHoldsIncompleteCharacters(t *testing.T) {
	d := NewStreamDecoder(Bytes())
	var out []string
	for _, id := range []int{'a', 0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xc3} {
		out = append(out, d.Add(id))
	}
	out = append(out, d.Flush())
	want := []string{"a", "", "", "日", "", "", "", "😀", "\xff", "", "\xc3"}
	if !slices.Equal(out, want) {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestDecodeSkipsUnknownIDs(t *testing.T) {
	tok := neox(t)
	if got := tok.Decode([]int{12092, -5, 1 << 20, 1533}); got != "Hello world" {
		t.Errorf("Decode = %q", got)
	}
	if b, ok := tok.TokenBytes(50254); !ok || string(b) != strings.Repeat(" ", 24) {
		t.Errorf("TokenBytes(50254) = %q, %v", b, ok)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("data/gpt-neox-20b/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty.json":     "",
		"truncated.json": string(good[:len(good)/2]),
		"nomodel.json":   `{"added_tokens": []}`,
		"wordpiece.json": `{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`,
		"nfkc.json":      strings.Replace(string(good), `"type": "NFC"`, `"type": "NFKC"`, 1),
		"badmerge.json":  `{"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`,
		"badid.json":     `{"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": -3}, "merges": []}}`,
		"farid.json":     `{"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 900000000}, "merges": []}}`,
		"dupid.json":     `{"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}}`,
		"badflags.json":  `{"added_tokens": [{"id": "x"}], "model": {"vocab": {"a": 0}}}`,
		"array.json":     `[1, 2, 3]`,
	}
	for name, content := range cases {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		tok, err := Load(path)
		if err == nil || tok != nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load("data/gpt-neox-20b/tokenizer.json"); err != nil {
		t.Errorf("Load of the real file: %v", err)
	}
}

func benchmarkWikitext(b *testing.B, cold bool) {
	data, err := os.ReadFile("../../shared/data/text/wikitext2-test.txt")
	if err != nil {
		b.Skip("../../shared/data/text/wikitext2-test.txt is absent")
	}
	tok := neox(b)
	text := string(data)
	b.SetBytes(int64(len(data)))
	cpu0 := processCPUTime()
	for b.Loop() {
		if cold {
			tok.mu.Lock()
			clear(tok.cache)
			tok.mu.Unlock()
		}
		tok.Encode(text)
	}
	// Throughput per CPU second, which other load on the machine does not
	// change (the encoder runs on one goroutine).
	if cpu := processCPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(data))*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}

// BenchmarkEncodeWikitext encodes WikiText-2 test with a warm word cache.
func BenchmarkEncodeWikitext(b *testing.B) { benchmarkWikitext(b, false) }

// BenchmarkEncodeWikitextCold empties the word cache before each pass.
func BenchmarkEncodeWikitextCold(b *testing.B) { benchmarkWikitext(b, true) }

func TestConcurrentEncode(t *testing.T) {
	tok := neox(t)
	texts := []string{"Hello world", "a  b  c", "naïve café 日本語", "I can't", strings.Repeat("word ", 50)}
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = tok.Encode(s)
	}
	errs := make(chan string, 8)
	for g := range 4 {
		go func() {
			for k := range 200 {
				i := (g + k) % len(texts)
				if got := tok.Encode(texts[i]); !slices.Equal(got, want[i]) {
					errs <- fmt.Sprintf("Encode(%q) = %v, want %v", texts[i], got, want[i])
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
