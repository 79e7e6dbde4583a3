package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of the "added_tokens" list of a tokenizer.json.
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// matcher finds added tokens in text the way Hugging Face tokenizers does:
// an Aho-Corasick search with leftmost-longest match semantics over
// non-overlapping matches, followed by the single_word, lstrip and rstrip
// adjustments of each match. It is a byte trie: the patterns are few and
// short, and a longest-match walk from each candidate start position gives
// the same leftmost-longest matches.
type matcher struct {
	first  [256]bool
	nodes  []trieNode
	tokens []addedToken
}

type trieNode struct {
	edges []trieEdge
	token int // index into tokens, or -1
}

type trieEdge struct {
	b     byte
	child int
}

func newMatcher() *matcher {
	return &matcher{nodes: []trieNode{{token: -1}}}
}

// add registers pattern p (non-empty) for token t. A later pattern with the
// same text replaces an earlier one.
func (m *matcher) add(p string, t addedToken) {
	n := 0
	for i := 0; i < len(p); i++ {
		child := -1
		for _, e := range m.nodes[n].edges {
			if e.b == p[i] {
				child = e.child
				break
			}
		}
		if child < 0 {
			child = len(m.nodes)
			m.nodes = append(m.nodes, trieNode{token: -1})
			m.nodes[n].edges = append(m.nodes[n].edges, trieEdge{p[i], child})
		}
		n = child
	}
	m.first[p[0]] = true
	m.nodes[n].token = len(m.tokens)
	m.tokens = append(m.tokens, t)
}

func (m *matcher) empty() bool { return len(m.tokens) == 0 }

// longest returns the end and token index of the longest pattern starting at
// s[i], or -1, -1.
func (m *matcher) longest(s string, i int) (end, tok int) {
	end, tok = -1, -1
	n := 0
	for j := i; j < len(s); j++ {
		next := -1
		for _, e := range m.nodes[n].edges {
			if e.b == s[j] {
				next = e.child
				break
			}
		}
		if next < 0 {
			break
		}
		n = next
		if t := m.nodes[n].token; t >= 0 {
			end, tok = j+1, t
		}
	}
	return end, tok
}

// split calls text for every stretch of s outside added tokens (never empty)
// and token for every added token found, in order.
func (m *matcher) split(s string, text func(string), token func(id int)) {
	if m.empty() {
		if s != "" {
			text(s)
		}
		return
	}
	done := 0 // s[:done] has been emitted
	i := 0    // the search resumes here
	for i < len(s) {
		if !m.first[s[i]] {
			i++
			continue
		}
		stop, ti := m.longest(s, i)
		if ti < 0 {
			i++
			continue
		}
		start := i
		i = stop
		t := &m.tokens[ti]
		if t.SingleWord {
			if (start > 0 && endsWithWord(s[:start])) || (stop < len(s) && startsWithWord(s[stop:])) {
				continue
			}
		}
		if t.Lstrip {
			start = max(spaceStartAtEnd(s[:start]), done)
		}
		if t.Rstrip {
			stop += spaceLenAtStart(s[stop:])
		}
		if done < start {
			text(s[done:start])
		}
		token(t.ID)
		done = stop
	}
	if done < len(s) {
		text(s[done:])
	}
}

// isWordRune reports whether r is a \w character of the Rust regex crate:
// Alphabetic, a mark, a decimal digit, a connector punctuation or a join
// control.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_Alphabetic, r) ||
		unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r) ||
		unicode.Is(unicode.Join_Control, r)
}

func endsWithWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isWordRune(r)
}

func startsWithWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r)
}

// spaceStartAtEnd returns where the trailing whitespace of s begins.
func spaceStartAtEnd(s string) int {
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if !unicode.IsSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return len(s)
}

// spaceLenAtStart returns the length of the leading whitespace of s.
func spaceLenAtStart(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}
