package tokenizer

import "unicode/utf8"

// StreamDecoder turns a stream of token ids into text as it is generated.
// A multi-byte UTF-8 character may be split across several tokens, so bytes
// that may still become part of a valid character are held back until the
// character is complete; bytes that can never become valid UTF-8 are passed
// through unchanged. Concatenating every Add result and the final Flush gives
// exactly Decode of all the ids.
type StreamDecoder struct {
	tok     Tokenizer
	pending []byte
	one     [1]int
}

// NewStreamDecoder returns a StreamDecoder for t.
func NewStreamDecoder(t Tokenizer) *StreamDecoder {
	return &StreamDecoder{tok: t}
}

// Add decodes id and returns the text that is complete so far (possibly
// empty).
func (d *StreamDecoder) Add(id int) string {
	d.one[0] = id
	d.pending = append(d.pending, d.tok.Decode(d.one[:])...)
	n := completePrefix(d.pending)
	out := string(d.pending[:n])
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns the bytes still held back and resets the decoder.
func (d *StreamDecoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completePrefix returns the length of b without a trailing incomplete UTF-8
// sequence: a lead byte followed by fewer continuation bytes than it needs,
// where every byte so far is still valid for some character.
func completePrefix(b []byte) int {
	// An incomplete character is at most 3 bytes long: look back that far
	// for the last lead byte.
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return len(b) // ASCII: nothing pending
		}
		if c >= 0xC0 { // a lead byte
			if utf8.FullRune(b[len(b)-k:]) {
				return len(b)
			}
			return len(b) - k
		}
	}
	return len(b)
}
