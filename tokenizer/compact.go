package tokenizer

import (
	"errors"
	"fmt"
	"strings"
)

// The compact form of a tokenizer.json: what assemble takes, with the merges
// already resolved to token ids, so that loading it looks nothing up by
// text. The embedded GPT-NeoX-20B tokenizer is stored this way
// (data/gpt-neox-20b/tokenizer.bpe, written by go generate from
// tokenizer.json; TestCompactGPTNeoX checks that it is current and reads to
// the same tokenizer as Parse of the JSON).
//
// Layout, after the magic line; n is an unsigned varint, a string is its
// length (n) and its bytes:
//
//	flags      one byte: 1 NFC, 2 add_prefix_space, 4 use_regex, 8 ignore_merges, 16 fuse_unk, 32 unk_token
//	unk_token  string, when flag 32
//	vocabulary n entries in increasing id order: id minus (previous id + 1) (n), token text (string)
//	added      n entries in file order: id (n), content (string), one byte of flags:
//	           1 single_word, 2 lstrip, 4 rstrip, 8 normalized, 16 special
//	merges     n entries in rank order: left, right and merged token ids (n each)
const compactMagic = "quamba byte-level BPE tokenizer 1 (generated from tokenizer.json by go generate; do not edit)\n"

const (
	compactNFC = 1 << iota
	compactPrefix
	compactRegex
	compactIgnoreMerges
	compactFuseUnk
	compactUnk
)

const (
	compactSingleWord = 1 << iota
	compactLstrip
	compactRstrip
	compactNormalized
	compactSpecial
)

var errCorrupt = errors.New("corrupt compact tokenizer")

type compactReader struct {
	s   string
	bad bool
}

func (r *compactReader) byte() byte {
	if len(r.s) == 0 {
		r.bad = true
		return 0
	}
	b := r.s[0]
	r.s = r.s[1:]
	return b
}

// n reads an unsigned varint of at most 1<<31.
func (r *compactReader) n() int {
	var x uint64
	for i := 0; i < len(r.s) && i < 5; i++ {
		b := r.s[i]
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			r.s = r.s[i+1:]
			if x > 1<<31 {
				r.bad = true
				return 0
			}
			return int(x)
		}
	}
	r.bad = true
	return 0
}

// count reads a number of entries, each of which takes at least min bytes
// of what remains.
func (r *compactReader) count(min int) int {
	n := r.n()
	if n*min > len(r.s) {
		r.bad = true
		return 0
	}
	return n
}

func (r *compactReader) str() string {
	n := r.n()
	if n > len(r.s) {
		r.bad = true
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

// readVocab reads the vocabulary section.
func (r *compactReader) readVocab() vocabList {
	nv := r.count(2)
	v := vocabList{keys: make([]string, nv), ids: make([]int, nv)}
	id := -1
	for i := range nv {
		id += 1 + r.n()
		v.ids[i] = id
		v.keys[i] = r.str()
	}
	return v
}

// loadCompact reads a tokenizer in compact form. The tokenizer's strings
// are substrings of data. Its map from token text to id is built on first
// use (only ignore_merges needs it when encoding).
func loadCompact(data string) (*BPE, error) {
	rest, ok := strings.CutPrefix(data, compactMagic)
	if !ok {
		return nil, errors.New("not a compact tokenizer")
	}
	r := &compactReader{s: rest}
	flags := r.byte()
	o := options{
		nfc:          flags&compactNFC != 0,
		prefix:       flags&compactPrefix != 0,
		useRegex:     flags&compactRegex != 0,
		ignoreMerges: flags&compactIgnoreMerges != 0,
		fuseUnk:      flags&compactFuseUnk != 0,
	}
	if flags&compactUnk != 0 {
		unk := r.str()
		o.unk = &unk
	}
	vocabAt := r.s
	v := r.readVocab()
	v.build = func() map[string]int {
		vr := &compactReader{s: vocabAt}
		w := vr.readVocab()
		m := make(map[string]int, len(w.keys))
		for i, k := range w.keys {
			m[k] = w.ids[i]
		}
		return m
	}
	added := make([]addedToken, r.count(3))
	for i := range added {
		a := &added[i]
		a.ID = r.n()
		a.Content = r.str()
		f := r.byte()
		a.SingleWord = f&compactSingleWord != 0
		a.Lstrip = f&compactLstrip != 0
		a.Rstrip = f&compactRstrip != 0
		a.Normalized = f&compactNormalized != 0
		a.Special = f&compactSpecial != 0
	}
	if r.bad {
		return nil, errCorrupt
	}
	t, err := assemble(o, v, added, func(t *BPE) error {
		nm := r.count(3)
		for rank := range nm {
			a, b, n := r.n(), r.n(), r.n()
			if r.bad || a >= t.size || b >= t.size || n >= t.size || !t.known[a] || !t.known[b] || !t.known[n] {
				return fmt.Errorf("merge %d: %w", rank, errCorrupt)
			}
			t.merges[pairKey(int32(a), int32(b))] = merge{rank: int32(rank), id: int32(n)}
		}
		if r.bad || r.s != "" {
			return errCorrupt
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
