package tokenizer

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// nfc returns the Unicode Normalization Form C of s, as the Hugging Face
// "NFC" normalizer computes it. Bytes that are not valid UTF-8 are kept as
// they are and block composition.
//
// golang.org/x/text/unicode/norm implements the Stream-Safe Text Format: it
// inserts U+034F COMBINING GRAPHEME JOINER after 30 consecutive non-starters,
// which plain NFC (and so Hugging Face tokenizers) does not do. Such text is
// normalised by nfcSlow instead, a direct implementation of the UAX #15
// algorithm built on the character data of the norm package.
func nfc(s string) string {
	if norm.NFC.IsNormalString(s) {
		return s
	}
	out := norm.NFC.String(s)
	if strings.Count(out, cgj) != strings.Count(s, cgj) {
		return nfcSlow(s)
	}
	return out
}

const cgj = "\u034f"

// Hangul syllable constants of the Unicode standard (section 3.12).
const (
	hangulSBase  = 0xAC00
	hangulLBase  = 0x1100
	hangulVBase  = 0x1161
	hangulTBase  = 0x11A7
	hangulLCount = 19
	hangulVCount = 21
	hangulTCount = 28
	hangulNCount = hangulVCount * hangulTCount
	hangulSCount = hangulLCount * hangulNCount
)

// In the decomposed sequence of nfcSlow, a byte b that is not valid UTF-8 is
// stored as the negative value -1-b.

func cccOf(r rune) uint8 {
	if r < 0 {
		return 0
	}
	var buf [utf8.UTFMax]byte
	return norm.NFD.Properties(buf[:utf8.EncodeRune(buf[:], r)]).CCC()
}

// appendDecomposed appends the full canonical decomposition of r.
func appendDecomposed(dst []rune, r rune) []rune {
	if s := r - hangulSBase; s >= 0 && s < hangulSCount {
		dst = append(dst, hangulLBase+s/hangulNCount, hangulVBase+(s%hangulNCount)/hangulTCount)
		if t := s % hangulTCount; t != 0 {
			dst = append(dst, hangulTBase+t)
		}
		return dst
	}
	var buf [utf8.UTFMax]byte
	d := norm.NFD.Properties(buf[:utf8.EncodeRune(buf[:], r)]).Decomposition()
	if d == nil {
		return append(dst, r)
	}
	for len(d) > 0 {
		c, n := utf8.DecodeRune(d)
		dst = append(dst, c)
		d = d[n:]
	}
	return dst
}

var (
	compositionsOnce sync.Once
	compositions     map[[2]rune]rune
)

// buildCompositions derives the primary composites from the norm package:
// every character that is stable under NFC and whose canonical decomposition
// is not a singleton composes from the NFC form of its decomposition without
// the last character, followed by that last character.
func buildCompositions() {
	compositions = map[[2]rune]rune{}
	var buf [utf8.UTFMax]byte
	for r := rune(0); r < 0x30000; r++ {
		if (r >= 0xD800 && r < 0xE000) || (r >= hangulSBase && r < hangulSBase+hangulSCount) {
			continue
		}
		b := buf[:utf8.EncodeRune(buf[:], r)]
		d := norm.NFD.Properties(b).Decomposition()
		if d == nil || utf8.RuneCount(d) < 2 || !norm.NFC.IsNormal(b) {
			continue
		}
		last, n := utf8.DecodeLastRune(d)
		head := []rune(norm.NFC.String(string(d[:len(d)-n])))
		if len(head) == 1 {
			compositions[[2]rune{head[0], last}] = r
		}
	}
}

func compose(a, b rune) (rune, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	if l := a - hangulLBase; l >= 0 && l < hangulLCount {
		if v := b - hangulVBase; v >= 0 && v < hangulVCount {
			return hangulSBase + (l*hangulVCount+v)*hangulTCount, true
		}
		return 0, false
	}
	if s := a - hangulSBase; s >= 0 && s < hangulSCount && s%hangulTCount == 0 {
		if t := b - hangulTBase; t > 0 && t < hangulTCount {
			return a + t, true
		}
		return 0, false
	}
	compositionsOnce.Do(buildCompositions)
	c, ok := compositions[[2]rune{a, b}]
	return c, ok
}

// nfcSlow is canonical decomposition, canonical ordering and canonical
// composition, without any limit on the length of non-starter runs.
func nfcSlow(s string) string {
	var d []rune
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			d = append(d, -1-rune(s[i]))
		} else {
			d = appendDecomposed(d, r)
		}
		i += n
	}
	cccs := make([]uint8, len(d))
	for i, r := range d {
		cccs[i] = cccOf(r)
	}
	// Canonical ordering: a stable sort of every run of non-starters by
	// combining class.
	for i := 0; i < len(d); {
		if cccs[i] == 0 {
			i++
			continue
		}
		j := i
		for j < len(d) && cccs[j] != 0 {
			j++
		}
		idx := make([]int, j-i)
		for k := range idx {
			idx[k] = i + k
		}
		slices.SortStableFunc(idx, func(a, b int) int { return int(cccs[a]) - int(cccs[b]) })
		rs, cs := make([]rune, len(idx)), make([]uint8, len(idx))
		for k, p := range idx {
			rs[k], cs[k] = d[p], cccs[p]
		}
		copy(d[i:j], rs)
		copy(cccs[i:j], cs)
		i = j
	}
	// Canonical composition.
	out := d[:0]
	starter := -1
	var lastCCC uint8
	for i, r := range d {
		c := cccs[i]
		if starter >= 0 {
			adjacent := starter == len(out)-1
			if adjacent || (lastCCC != 0 && lastCCC < c) {
				if p, ok := compose(out[starter], r); ok {
					out[starter] = p
					continue
				}
			}
		}
		if c == 0 {
			starter = len(out)
		}
		lastCCC = c
		out = append(out, r)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range out {
		if r < 0 {
			b.WriteByte(byte(-1 - r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
