package tokenizer

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// The fast reader of tokenizer.json files. json.Unmarshal into jsonFile
// spends most of its time on the vocabulary and the merges (for GPT-NeoX-20B
// 50254 entries and 50009 strings, mostly written with \u escapes), building
// a string per key and going through reflection for each entry. scanFile
// reads the same document with a hand-written scanner: the vocabulary keys
// are decoded into one arena and the merges are resolved to ids straight from
// the file's bytes, with no string per entry; the small values (added tokens,
// normalizer, pre-tokenizer, decoder, the model's flags) are still decoded by
// encoding/json from their raw bytes.
//
// The scanner only has to agree with encoding/json on the documents it
// accepts: whenever it meets something it does not read exactly as
// json.Unmarshal would (a duplicated or case-folded key, a merges list of
// another shape, a number that is not a plain integer, invalid UTF-8, a
// lone surrogate escape, any syntax error), it gives up and parse runs the
// encoding/json reader, which also produces every error message.

// scanned is what scanFile read: the fields json.Unmarshal would have set,
// and where the merges are, to be resolved once the vocabulary is known.
type scanned struct {
	file   jsonFile
	vocab  vocabList // file.Model.Vocab in file order
	merges []byte    // the raw "merges" value, nil if absent
}

type scanner struct {
	data []byte
	i    int
	buf  []byte // scratch for decoded strings
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) ws() {
	for s.i < len(s.data) && isSpace(s.data[s.i]) {
		s.i++
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

// eat skips whitespace and consumes c if it comes next.
func (s *scanner) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// str reads a JSON string and returns its decoded bytes, which stay valid
// until the next call; the bytes are the file's own when the string holds
// no escape.
func (s *scanner) str() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for j := start; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			s.i = j + 1
			if !ascii && !utf8.Valid(s.data[start:j]) {
				return s.decodeLiteral(start-1, j+1)
			}
			return s.data[start:j], true
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// unescape decodes the string whose contents start at data[start] into
// s.buf. Escapes whose decoding has corner cases (surrogates) and invalid
// UTF-8 are left to encoding/json.
func (s *scanner) unescape(start int) ([]byte, bool) {
	d := s.data
	b := s.buf[:0]
	for j := start; j < len(d); {
		c := d[j]
		switch {
		case c == '"':
			s.i = j + 1
			s.buf = b
			return b, true
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf && c != '\\':
			b = append(b, c)
			j++
			continue
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d[j:])
			if r == utf8.RuneError && n == 1 {
				return s.literal(start)
			}
			b = append(b, d[j:j+n]...)
			j += n
			continue
		}
		// A backslash.
		if j+1 >= len(d) {
			return nil, false
		}
		switch e := d[j+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(d[j+2:])
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				return s.literal(start)
			}
			b = utf8.AppendRune(b, r)
			j += 6
			continue
		default:
			return nil, false
		}
		j += 2
	}
	return nil, false
}

func hex4(d []byte) (rune, bool) {
	if len(d) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// literal decodes, with encoding/json, the string whose contents start at
// data[start].
func (s *scanner) literal(start int) ([]byte, bool) {
	end := start
	for end < len(s.data) && s.data[end] != '"' {
		if s.data[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(s.data) {
		return nil, false
	}
	s.i = end + 1
	return s.decodeLiteral(start-1, end+1)
}

// decodeLiteral decodes the JSON string data[from:to] (quotes included) with
// encoding/json into s.buf.
func (s *scanner) decodeLiteral(from, to int) ([]byte, bool) {
	var v string
	if json.Unmarshal(s.data[from:to], &v) != nil {
		return nil, false
	}
	s.buf = append(s.buf[:0], v...)
	return s.buf, true
}

// skip moves past one value without checking it and returns its raw
// bytes; the caller checks them (json.Unmarshal or json.Valid). It only
// needs to find where a well-formed value ends.
func (s *scanner) skip() ([]byte, bool) {
	s.ws()
	d := s.data
	start := s.i
	if start >= len(d) {
		return nil, false
	}
	switch d[start] {
	case '"':
		s.i++
		if !s.skipString() {
			return nil, false
		}
	case '{', '[':
		depth := 0
		for s.i < len(d) {
			switch d[s.i] {
			case '"':
				s.i++
				if !s.skipString() {
					return nil, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return d[start:s.i], true
			}
		}
		return nil, false
	default:
		for s.i < len(d) && !isSpace(d[s.i]) && d[s.i] != ',' && d[s.i] != '}' && d[s.i] != ']' {
			s.i++
		}
		if s.i == start {
			return nil, false
		}
	}
	return d[start:s.i], true
}

// skipString moves past the closing quote of the string whose contents
// start at s.i.
func (s *scanner) skipString() bool {
	d := s.data
	for s.i < len(d) {
		switch d[s.i] {
		case '"':
			s.i++
			return true
		case '\\':
			s.i += 2
		default:
			s.i++
		}
	}
	return false
}

// object reads a JSON object, calling field for each key with the scanner
// at its value; field reads the value. Keys are decoded into a copy, since
// field may decode strings itself.
func (s *scanner) object(field func(key string) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		k, ok := s.str()
		if !ok || !s.eat(':') || !field(string(k)) {
			return false
		}
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}

// structKey reports whether key is one of names, and rejects keys that
// json.Unmarshal would match to one of names only by case folding, or that
// appear twice.
func structKey(key string, names []string, seen map[string]bool) (known, ok bool) {
	for _, n := range names {
		if key == n {
			if seen[n] {
				return false, false
			}
			seen[n] = true
			return true, true
		}
	}
	for _, n := range names {
		if bytes.EqualFold([]byte(key), []byte(n)) {
			return false, false
		}
	}
	return false, true
}

var (
	fileKeys  = []string{"added_tokens", "normalizer", "pre_tokenizer", "decoder", "model"}
	modelKeys = []string{"type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
		"fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges"}
)

// scanFile reads a tokenizer.json, or reports false when the document is
// not one it reads exactly as json.Unmarshal into jsonFile does. The merges
// are only located (and checked) here; scanMerges reads them once the
// vocabulary is known.
func scanFile(data []byte) (*scanned, bool) {
	s := &scanner{data: data}
	out := &scanned{}
	f := &out.file
	seen := map[string]bool{}
	ok := s.object(func(key string) bool {
		known, ok := structKey(key, fileKeys, seen)
		if !ok {
			return false
		}
		switch {
		case !known:
			raw, ok := s.skip()
			return ok && json.Valid(raw)
		case key == "model":
			if s.peek() != '{' {
				return false // null, or not an object: left to encoding/json
			}
			f.Model = &modelJSON{}
			return s.model(out)
		}
		raw, ok := s.skip()
		if !ok {
			return false
		}
		switch key {
		case "added_tokens":
			return json.Unmarshal(raw, &f.AddedTokens) == nil
		case "normalizer":
			f.Normalizer = raw
		case "pre_tokenizer":
			f.PreTokenizer = raw
		case "decoder":
			f.Decoder = raw
		}
		return json.Valid(raw)
	})
	if !ok {
		return nil, false
	}
	s.ws()
	if s.i != len(data) {
		return nil, false
	}
	return out, true
}

// model reads the "model" object into out.file.Model.
func (s *scanner) model(out *scanned) bool {
	m := out.file.Model
	seen := map[string]bool{}
	return s.object(func(key string) bool {
		known, ok := structKey(key, modelKeys, seen)
		if !ok {
			return false
		}
		switch {
		case key == "vocab" && known:
			return s.vocab(m, &out.vocab)
		case key == "merges" && known:
			if c := s.peek(); c != '[' {
				return false
			}
			raw, ok := s.skip()
			out.merges = raw
			return ok
		}
		raw, ok := s.skip()
		if !ok {
			return false
		}
		var dst any
		switch {
		case !known:
			return json.Valid(raw)
		case key == "type":
			dst = &m.Type
		case key == "dropout":
			dst = &m.Dropout
		case key == "unk_token":
			dst = &m.UnkToken
		case key == "continuing_subword_prefix":
			dst = &m.ContinuingSubwordPrefix
		case key == "end_of_word_suffix":
			dst = &m.EndOfWordSuffix
		case key == "fuse_unk":
			dst = &m.FuseUnk
		case key == "byte_fallback":
			dst = &m.ByteFallback
		case key == "ignore_merges":
			dst = &m.IgnoreMerges
		}
		return json.Unmarshal(raw, dst) == nil
	})
}

// vocab reads the vocabulary object. The keys are decoded into one arena
// that becomes a single string, of which every key is a substring.
func (s *scanner) vocab(m *modelJSON, v *vocabList) bool {
	if !s.eat('{') {
		return false // null, or not an object: left to encoding/json
	}
	var arena []byte
	var ends, ids []int
	if !s.eat('}') {
		for {
			k, ok := s.str()
			if !ok || !s.eat(':') {
				return false
			}
			arena = append(arena, k...)
			ends = append(ends, len(arena))
			id, ok := s.integer()
			if !ok {
				return false
			}
			ids = append(ids, id)
			if s.eat(',') {
				continue
			}
			if !s.eat('}') {
				return false
			}
			break
		}
	}
	all := string(arena)
	m.Vocab = make(map[string]int, len(ids))
	v.keys = make([]string, len(ids))
	v.ids = ids
	start := 0
	for i, end := range ends {
		k := all[start:end]
		v.keys[i] = k
		m.Vocab[k] = ids[i]
		start = end
	}
	v.m = m.Vocab
	// A key written twice (encoding/json keeps the last) is left to
	// encoding/json.
	return len(m.Vocab) == len(ids)
}

// integer reads a non-negative JSON number without fraction or exponent,
// of at most 18 digits. Other numbers are left to encoding/json.
func (s *scanner) integer() (int, bool) {
	s.ws()
	d := s.data
	j := s.i
	v := 0
	if j < len(d) && d[j] == '0' {
		j++
	} else {
		for j < len(d) && '0' <= d[j] && d[j] <= '9' && j-s.i < 18 {
			v = v*10 + int(d[j]-'0')
			j++
		}
	}
	if j == s.i {
		return 0, false
	}
	if j < len(d) {
		if c := d[j]; c == '.' || c == 'e' || c == 'E' || ('0' <= c && c <= '9') {
			return 0, false
		}
	}
	s.i = j
	return v, true
}

// scanMerges resolves the merges list raw (as recorded by scanFile) into
// t.merges, or reports false if raw is not a list of "left right" strings or
// of [left, right] pairs of tokens that are all in the vocabulary.
func (t *BPE) scanMerges(raw []byte) bool {
	s := &scanner{data: raw}
	if !s.eat('[') {
		return false
	}
	if !s.eat(']') {
		pairs := s.peek() == '['
		var ab []byte // left and right, concatenated
		for rank := 0; ; rank++ {
			var split int
			if pairs {
				if !s.eat('[') {
					return false
				}
				l, ok := s.str()
				if !ok || !s.eat(',') {
					return false
				}
				ab = append(ab[:0], l...)
				split = len(ab)
				r, ok := s.str()
				if !ok || !s.eat(']') {
					return false
				}
				ab = append(ab, r...)
			} else {
				line, ok := s.str()
				if !ok {
					return false
				}
				split = bytes.IndexByte(line, ' ')
				if split < 0 || bytes.IndexByte(line[split+1:], ' ') >= 0 {
					return false
				}
				ab = append(append(ab[:0], line[:split]...), line[split+1:]...)
			}
			a, okA := t.vocab[string(ab[:split])]
			b, okB := t.vocab[string(ab[split:])]
			n, okN := t.vocab[string(ab)]
			if !okA || !okB || !okN {
				return false
			}
			t.merges[pairKey(int32(a), int32(b))] = merge{rank: int32(rank), id: int32(n)}
			if s.eat(',') {
				continue
			}
			if !s.eat(']') {
				return false
			}
			break
		}
	}
	s.ws()
	return s.i == len(raw)
}
