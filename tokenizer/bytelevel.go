package tokenizer

// The GPT-2 byte-level alphabet: every byte is written as one printable
// Unicode character so that vocabularies can be stored as text. Printable
// Latin-1 bytes stand for themselves; the other 68 bytes are mapped, in
// increasing order, to U+0100 onwards (so the space 0x20 becomes 'Ġ', U+0120).
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
}

// byteLevelDecode returns the bytes written by a byte-level token string and
// whether every character of s belongs to the byte-level alphabet.
func byteLevelDecode(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}
