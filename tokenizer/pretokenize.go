package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The GPT-2 pre-tokenizer splits text with the regular expression
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// nextPiece is a hand-written scanner with the same leftmost-first
// semantics, and is checked against github.com/dlclark/regexp2 by
// FuzzPreTokenizer. \s is the Unicode White_Space property (as in Oniguruma,
// which Hugging Face tokenizers uses, and in .NET/regexp2). A byte that is not
// part of valid UTF-8 counts as one character of the "other" class, like the
// U+FFFD a regexp engine would see in its place.

const (
	classOther = iota
	classLetter
	classNumber
	classSpace
)

var asciiClass [128]uint8

func init() {
	for c := 0; c < 128; c++ {
		asciiClass[c] = runeClass(rune(c))
	}
}

func runeClass(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	case unicode.IsSpace(r): // exactly White_Space
		return classSpace
	}
	return classOther
}

// classAt returns the class of the character at s[i] and its size in bytes.
func classAt(s string, i int) (uint8, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return classOther, 1
	}
	return runeClass(r), n
}

// nextPiece returns the end of the pre-token that starts at s[i]; i < len(s).
func nextPiece(s string, i int) int {
	c := s[i]
	if c == '\'' && i+1 < len(s) {
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return i + 3
			}
		}
	}
	j := i
	if c == ' ' && i+1 < len(s) {
		if cls, _ := classAt(s, i+1); cls != classSpace {
			j = i + 1 // " ?" takes the space in front of a letter, number or other run
		}
	}
	cls, n := classAt(s, j)
	k := j + n
	if cls != classSpace {
		for k < len(s) {
			if c := s[k]; c < utf8.RuneSelf { // ASCII fast path
				if asciiClass[c] != cls {
					break
				}
				k++
				continue
			}
			c2, n2 := classAt(s, k)
			if c2 != cls {
				break
			}
			k += n2
		}
		return k
	}
	// A whitespace run [i, k). "\s+(?!\S)" takes all of it at the end of the
	// text, otherwise all but its last character, which then starts the next
	// piece; a lone whitespace character before non-space falls to "\s+".
	last := i
	for k < len(s) {
		c2, n2 := classAt(s, k)
		if c2 != classSpace {
			break
		}
		last = k
		k += n2
	}
	if k < len(s) && last > i {
		return last
	}
	return k
}
