package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
)

// BPE is a byte-level BPE tokenizer loaded from a Hugging Face
// tokenizer.json. It is safe for concurrent use.
//
// Encoding follows Hugging Face tokenizers step by step, with
// add_special_tokens false:
//
//  1. added tokens whose "normalized" flag is false are split out of the raw
//     text (leftmost-longest, honouring single_word, lstrip and rstrip);
//  2. every remaining stretch is NFC-normalised on its own, and added tokens
//     whose "normalized" flag is true are split out of the result the same
//     way (for GPT-NeoX-20B these are the runs of 2..24 spaces, ids
//     50276..50254, so a run of n spaces becomes n/24 tokens of 24 spaces and
//     one token for the rest, or a lone space that stays with the text after
//     it);
//  3. the remaining stretches are cut by the GPT-2 pre-tokenizer regex and
//     each piece is written in the byte-level alphabet and merged by rank.
//
// Because the space-run tokens are split out before the regex sees the text,
// a space that they take is no longer in front of the next word. With
// GPT-NeoX-20B, "Hello world" is [12092 1533] ("Hello", " world") but
// "Hello  world" is [12092 50276 10186] ("Hello", "  ", "world"); 25 spaces
// before "b" are [50254 270] (24 spaces, " b"), and a line indented by four
// spaces starts with 50274 (four spaces) followed by the bare word.
//
// Text that is not valid UTF-8 (which Hugging Face tokenizers cannot take)
// is encoded byte by byte like any other character of the "other" regex
// class, so invalid bytes decode back unchanged, except bytes that have no
// token in the vocabulary: GPT-NeoX-20B has none for 0xC0, 0xC1 and
// 0xF5..0xFF, which never occur in UTF-8, and they are encoded as U+FFFD.
type BPE struct {
	vocab        map[string]int // model vocabulary, token text -> id; see vocabulary
	vocabOnce    sync.Once
	buildVocab   func() map[string]int // builds vocab on first use, when it is nil
	byteID       [256]int32            // id of each single-byte token, -1 if none
	fffd         []int32               // byte token ids of U+FFFD, for bytes that have none
	merges       map[uint64]merge      // (left id, right id) -> merge
	tokens       [][]byte              // id -> decoded bytes
	known        []bool                // id -> whether the id is in the vocabulary
	rawAdded     *matcher              // added tokens matched before normalization
	normAdded    *matcher              // added tokens matched after normalization
	nfc          bool                  // NFC normalizer
	prefix       bool                  // add_prefix_space
	useRegex     bool                  // split with the GPT-2 regex
	ignoreMerges bool                  // ignore_merges: a word in the vocabulary is one token
	unk          int32                 // unk_token id, or -1
	fuseUnk      bool
	eos          int // -1 if none
	size         int // largest id + 1

	mu    sync.Mutex
	cache map[string][]int32
}

type merge struct {
	rank int32
	id   int32
}

// cacheLimit bounds the word cache; it is emptied when full.
const cacheLimit = 1 << 16

// eosNames are the added special tokens recognised as end of text, in order
// of preference.
var eosNames = []string{"<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"}

// Load reads a Hugging Face tokenizer.json with a byte-level BPE model.
func Load(path string) (*BPE, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return Parse(data, path)
}

// Parse reads the contents of a Hugging Face tokenizer.json; name is used in
// error messages. Only what byte-level BPE tokenizers use is supported: no
// normalizer or NFC, a ByteLevel pre-tokenizer and decoder, and a BPE model
// without dropout, subword prefixes or suffixes, or byte fallback. Anything
// else is reported as an error rather than encoded differently.
func Parse(data []byte, name string) (*BPE, error) {
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	return t, nil
}

type jsonFile struct {
	AddedTokens  []addedToken    `json:"added_tokens"`
	Normalizer   json.RawMessage `json:"normalizer"`
	PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	Decoder      json.RawMessage `json:"decoder"`
	Model        *modelJSON      `json:"model"`
}

type modelJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

type component struct {
	Type           string `json:"type"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
}

// parseComponent decodes an optional {"type": ...} object; null gives "".
func parseComponent(raw json.RawMessage, what string) (component, error) {
	var c component
	if len(raw) == 0 || string(raw) == "null" {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// errNotScanned makes parse fall back to the encoding/json reader.
var errNotScanned = errors.New("not read by the scanner")

// parse reads a tokenizer.json with the fast scanner (scan.go) and, when
// the scanner cannot read it or finds anything wrong, with encoding/json,
// which gives the same tokenizer or the error.
func parse(data []byte) (*BPE, error) {
	if t, ok := parseScanned(data); ok {
		return t, nil
	}
	return parseReference(data)
}

// parseScanned reads data with the scanner; false when it cannot, or when
// the file has an error (left to parseReference to report).
func parseScanned(data []byte) (*BPE, bool) {
	sc, ok := scanFile(data)
	if !ok {
		return nil, false
	}
	o, err := settings(&sc.file)
	if err != nil {
		return nil, false
	}
	t, err := assemble(o, sc.vocab, sc.file.AddedTokens, func(t *BPE) error {
		if sc.merges != nil && !t.scanMerges(sc.merges) {
			return errNotScanned
		}
		return nil
	})
	return t, err == nil
}

// parseReference reads data with encoding/json.
func parseReference(data []byte) (*BPE, error) {
	var f jsonFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json: %w", err)
	}
	o, err := settings(&f)
	if err != nil {
		return nil, err
	}
	v := vocabList{m: f.Model.Vocab}
	for tok, id := range f.Model.Vocab {
		v.keys = append(v.keys, tok)
		v.ids = append(v.ids, id)
	}
	return assemble(o, v, f.AddedTokens, func(t *BPE) error { return t.parseMerges(f.Model.Merges) })
}

// options are the settings of a tokenizer.json that the encoder follows.
type options struct {
	nfc, prefix, useRegex, ignoreMerges, fuseUnk bool
	unk                                          *string // unk_token
}

// settings checks the model and components of a decoded tokenizer.json and
// returns its options.
func settings(f *jsonFile) (options, error) {
	var o options
	m := f.Model
	if m == nil {
		return o, errors.New(`no "model"`)
	}
	if m.Type != "BPE" && m.Type != "" {
		return o, fmt.Errorf("model type %q is not supported (only BPE)", m.Type)
	}
	if len(m.Vocab) == 0 {
		return o, errors.New("model has an empty vocabulary")
	}
	switch {
	case m.Dropout != nil && *m.Dropout != 0:
		return o, errors.New("BPE dropout is not supported")
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return o, errors.New("BPE continuing_subword_prefix is not supported")
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return o, errors.New("BPE end_of_word_suffix is not supported")
	case m.ByteFallback:
		return o, errors.New("BPE byte_fallback is not supported")
	}

	nz, err := parseComponent(f.Normalizer, "normalizer")
	if err != nil {
		return o, err
	}
	pre, err := parseComponent(f.PreTokenizer, "pre_tokenizer")
	if err != nil {
		return o, err
	}
	dec, err := parseComponent(f.Decoder, "decoder")
	if err != nil {
		return o, err
	}
	if nz.Type != "" && nz.Type != "NFC" {
		return o, fmt.Errorf("normalizer %q is not supported (only NFC or none)", nz.Type)
	}
	if pre.Type != "ByteLevel" {
		return o, fmt.Errorf("pre_tokenizer %q is not supported (only ByteLevel)", pre.Type)
	}
	if dec.Type != "ByteLevel" {
		return o, fmt.Errorf("decoder %q is not supported (only ByteLevel)", dec.Type)
	}
	return options{
		nfc:          nz.Type == "NFC",
		prefix:       pre.AddPrefixSpace,
		useRegex:     pre.UseRegex == nil || *pre.UseRegex,
		ignoreMerges: m.IgnoreMerges,
		fuseUnk:      m.FuseUnk,
		unk:          m.UnkToken,
	}, nil
}

// vocabList is a model vocabulary: token texts and their ids, each text
// once, and the map from text to id. When m is nil, build makes it on first
// use (BPE.vocabulary).
type vocabList struct {
	keys  []string
	ids   []int
	m     map[string]int
	build func() map[string]int
}

// lookup returns the id of token text s.
func (v *vocabList) lookup(s string) (int, bool) {
	if v.m != nil {
		id, ok := v.m[s]
		return id, ok
	}
	for i, k := range v.keys {
		if k == s {
			return v.ids[i], true
		}
	}
	return 0, false
}

// vocabulary returns the map from token text to id.
func (t *BPE) vocabulary() map[string]int {
	t.vocabOnce.Do(func() {
		if t.vocab == nil && t.buildVocab != nil {
			t.vocab = t.buildVocab()
		}
		t.buildVocab = nil
	})
	return t.vocab
}

// assemble makes the tokenizer of a vocabulary, its added tokens (in file
// order) and options; merges fills t.merges once the vocabulary is in place.
func assemble(o options, v vocabList, added []addedToken, merges func(t *BPE) error) (*BPE, error) {
	t := &BPE{
		vocab:        v.m,
		buildVocab:   v.build,
		merges:       make(map[uint64]merge, len(v.keys)), // a BPE vocabulary is mostly merge results
		rawAdded:     newMatcher(),
		normAdded:    newMatcher(),
		nfc:          o.nfc,
		prefix:       o.prefix,
		useRegex:     o.useRegex,
		ignoreMerges: o.ignoreMerges,
		fuseUnk:      o.fuseUnk,
		unk:          -1,
		eos:          -1,
		cache:        map[string][]int32{},
	}
	arenaLen := 0
	for i, id := range v.ids {
		if id < 0 || id >= 1<<30 {
			return nil, fmt.Errorf("vocabulary id %d of %q is out of range", id, v.keys[i])
		}
		t.size = max(t.size, id+1)
		arenaLen += len(v.keys[i])
	}
	for _, a := range added {
		if a.ID < 0 || a.ID >= 1<<30 {
			return nil, fmt.Errorf("added token id %d of %q is out of range", a.ID, a.Content)
		}
		t.size = max(t.size, a.ID+1)
	}
	if n := len(v.keys) + len(added); t.size > 2*n+1024 {
		return nil, fmt.Errorf("token id %d is far beyond the %d tokens defined", t.size-1, n)
	}
	t.tokens = make([][]byte, t.size)
	t.known = make([]bool, t.size)
	for i := range t.byteID {
		t.byteID[i] = -1
	}
	// The decoded tokens share one buffer: a token is at most as long as
	// its text.
	arena := make([]byte, 0, arenaLen)
	for i, id := range v.ids {
		if t.known[id] {
			return nil, fmt.Errorf("vocabulary id %d is used twice", id)
		}
		t.known[id] = true
		tok := v.keys[i]
		start := len(arena)
		arena = appendToken(arena, tok)
		t.tokens[id] = arena[start:len(arena):len(arena)]
		// A token of one character of the byte-level alphabet is the
		// token of that byte.
		if r, n := utf8.DecodeRuneInString(tok); n == len(tok) && n > 0 && int(r) < len(runeToByte) && runeToByte[r] >= 0 {
			t.byteID[runeToByte[r]] = int32(id)
		}
	}
	for _, b := range []byte("\uFFFD") {
		if t.byteID[b] < 0 {
			t.fffd = nil
			break
		}
		t.fffd = append(t.fffd, t.byteID[b])
	}
	if o.unk != nil {
		id, ok := v.lookup(*o.unk)
		if !ok {
			return nil, fmt.Errorf("unk_token %q is not in the vocabulary", *o.unk)
		}
		t.unk = int32(id)
	}
	if err := merges(t); err != nil {
		return nil, err
	}

	for _, a := range added {
		if a.Content == "" {
			continue // Hugging Face ignores empty added tokens
		}
		t.known[a.ID] = true
		t.tokens[a.ID] = decodeToken(a.Content)
		if a.Normalized {
			p := a.Content
			if t.nfc {
				p = nfc(p)
			}
			t.normAdded.add(p, a)
		} else {
			t.rawAdded.add(a.Content, a)
		}
	}
	for _, name := range eosNames {
		for _, a := range added {
			if a.Special && a.Content == name && t.eos < 0 {
				t.eos = a.ID
			}
		}
	}
	return t, nil
}

// decodeToken returns the bytes a token stands for: its characters mapped
// back through the byte-level alphabet, or, as the ByteLevel decoder of
// Hugging Face tokenizers does, the token text itself when some character is
// outside that alphabet.
func decodeToken(tok string) []byte {
	return appendToken(make([]byte, 0, len(tok)), tok)
}

// appendToken appends the bytes of tok, as decodeToken returns them, to dst.
func appendToken(dst []byte, tok string) []byte {
	if b, ok := appendByteLevel(dst, tok); ok {
		return b
	}
	return append(dst, tok...)
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// parseMerges reads merges written either as "left right" strings or as
// [left, right] pairs. A later duplicate replaces an earlier one, as in
// Hugging Face tokenizers.
func (t *BPE) parseMerges(raw json.RawMessage) error {
	ids, err := resolveMerges(raw, t.vocab)
	if err != nil {
		return err
	}
	for i, m := range ids {
		t.merges[pairKey(m[0], m[1])] = merge{rank: int32(i), id: m[2]}
	}
	return nil
}

// resolveMerges decodes a merges list and returns the ids of each merge's
// left, right and merged tokens, in rank order.
func resolveMerges(raw json.RawMessage, vocab map[string]int) ([][3]int32, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var pairs [][2]string
	var lines []string
	if err := json.Unmarshal(raw, &lines); err == nil {
		pairs = make([][2]string, len(lines))
		for i, l := range lines {
			a, b, ok := strings.Cut(l, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, fmt.Errorf("merge %d %q is not two tokens separated by a space", i, l)
			}
			pairs[i] = [2]string{a, b}
		}
	} else if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("merges: %w", err)
	}
	ids := make([][3]int32, len(pairs))
	var ab []byte
	for i, p := range pairs {
		a, okA := vocab[p[0]]
		b, okB := vocab[p[1]]
		ab = append(append(ab[:0], p[0]...), p[1]...)
		n, okN := vocab[string(ab)]
		if !okA || !okB || !okN {
			return nil, fmt.Errorf("merge %d (%q %q) uses a token that is not in the vocabulary", i, p[0], p[1])
		}
		ids[i] = [3]int32{int32(a), int32(b), int32(n)}
	}
	return ids, nil
}

// VocabSize returns one more than the largest token id (50277 for
// GPT-NeoX-20B; model embedding tables are often padded beyond it).
func (t *BPE) VocabSize() int { return t.size }

// EOS returns the id of the end-of-text special token (<|endoftext|>, </s>,
// <|end_of_text|> or <eos>, the first one present).
func (t *BPE) EOS() (int, bool) { return t.eos, t.eos >= 0 }

// TokenBytes returns the bytes that token id decodes to.
func (t *BPE) TokenBytes(id int) ([]byte, bool) {
	if id < 0 || id >= t.size || !t.known[id] {
		return nil, false
	}
	return bytes.Clone(t.tokens[id]), true
}

// Decode returns the bytes of ids concatenated, as the ByteLevel decoder
// produces them, without replacing invalid UTF-8. Special tokens are written
// out (like skip_special_tokens=false); unknown ids are skipped.
func (t *BPE) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 0 && id < t.size {
			b.Write(t.tokens[id])
		}
	}
	return b.String()
}

// Encode returns the token ids of text. It never adds special tokens, but
// special tokens written in the text, such as <|endoftext|>, are recognised.
func (t *BPE) Encode(text string) []int {
	ids := make([]int, 0, len(text)/3+1)
	t.rawAdded.split(text, func(s string) {
		if t.nfc {
			s = nfc(s)
		}
		t.normAdded.split(s, func(s string) { ids = t.encodeText(s, ids) }, func(id int) { ids = append(ids, id) })
	}, func(id int) { ids = append(ids, id) })
	return ids
}

// encodeText pre-tokenizes s (non-empty) and appends the ids of its pieces.
func (t *BPE) encodeText(s string, ids []int) []int {
	if t.prefix && s[0] != ' ' {
		s = " " + s
	}
	if !t.useRegex {
		return t.encodeWord(s, ids)
	}
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		ids = t.encodeWord(s[i:j], ids)
		i = j
	}
	return ids
}

// encodeWord appends the ids of one pre-token.
func (t *BPE) encodeWord(w string, ids []int) []int {
	if len(w) == 1 {
		if id := t.byteID[w[0]]; id >= 0 {
			return append(ids, int(id))
		}
	}
	t.mu.Lock()
	cached, ok := t.cache[w]
	t.mu.Unlock()
	if !ok {
		cached = t.bpe(w)
		t.mu.Lock()
		if len(t.cache) >= cacheLimit {
			clear(t.cache)
		}
		t.cache[w] = cached
		t.mu.Unlock()
	}
	for _, id := range cached {
		ids = append(ids, int(id))
	}
	return ids
}

// bpe splits one pre-token into byte symbols and applies merges, always the
// lowest-ranked adjacent pair first and the leftmost one among equals.
func (t *BPE) bpe(w string) []int32 {
	if t.ignoreMerges {
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			b.WriteRune(byteToRune[w[i]])
		}
		if id, ok := t.vocabulary()[b.String()]; ok {
			return []int32{int32(id)}
		}
	}
	sym := make([]int32, 0, len(w))
	for i := 0; i < len(w); i++ {
		id := t.byteID[w[i]]
		switch {
		case id >= 0:
			sym = append(sym, id)
		case t.unk >= 0:
			if !(t.fuseUnk && len(sym) > 0 && sym[len(sym)-1] == t.unk) {
				sym = append(sym, t.unk)
			}
		default:
			// A byte without a token can only come from invalid UTF-8
			// (GPT-NeoX-20B has none for 0xC0, 0xC1 and 0xF5..0xFF).
			// Hugging Face tokenizers never sees such input; encode the
			// byte as U+FFFD, as a lossy UTF-8 conversion would.
			sym = append(sym, t.fffd...)
		}
	}
	if len(sym) > linearMergeLimit {
		return t.mergeHeap(sym)
	}
	return t.mergeLinear(sym)
}

// linearMergeLimit is the word length up to which mergeLinear, quadratic in
// the worst case but fastest on short words, is used.
const linearMergeLimit = 64

const noMerge = int32(1<<31 - 1)

func (t *BPE) rankOf(a, b int32) merge {
	if m, ok := t.merges[pairKey(a, b)]; ok {
		return m
	}
	return merge{rank: noMerge}
}

// mergeLinear keeps the merge of each adjacent pair in an array and scans it
// for the minimum.
func (t *BPE) mergeLinear(sym []int32) []int32 {
	if len(sym) < 2 {
		return sym
	}
	var buf [linearMergeLimit]merge
	pm := buf[:0]
	if len(sym)-1 > len(buf) {
		pm = make([]merge, 0, len(sym)-1)
	}
	pm = pm[:len(sym)-1]
	for i := range pm {
		pm[i] = t.rankOf(sym[i], sym[i+1])
	}
	for len(sym) > 1 {
		best := 0
		for i := 1; i < len(pm); i++ {
			if pm[i].rank < pm[best].rank {
				best = i
			}
		}
		if pm[best].rank == noMerge {
			break
		}
		sym[best] = pm[best].id
		sym = append(sym[:best+1], sym[best+2:]...)
		pm = append(pm[:best], pm[best+1:]...)
		if best > 0 {
			pm[best-1] = t.rankOf(sym[best-1], sym[best])
		}
		if best < len(pm) {
			pm[best] = t.rankOf(sym[best], sym[best+1])
		}
	}
	return sym
}
