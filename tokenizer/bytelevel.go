package tokenizer

// The GPT-2 byte-level alphabet: every byte is written as one printable
// Unicode character so that vocabularies can be stored as text. Printable
// Latin-1 bytes stand for themselves; the other 68 bytes are mapped, in
// increasing order, to U+0100 onwards (so the space 0x20 becomes 'Ġ', U+0120).
var (
	byteToRune [256]rune
	// runeToByte is the inverse of byteToRune, indexed by rune, -1 for
	// runes outside the alphabet (all of which are below 256+68).
	runeToByte [256 + 68]int16
)

func init() {
	for i := range runeToByte {
		runeToByte[i] = -1
	}
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = int16(b)
	}
}

// appendByteLevel appends the bytes written by the byte-level token string s
// to dst. When some character of s is outside the byte-level alphabet it
// returns dst unchanged and false.
func appendByteLevel(dst []byte, s string) ([]byte, bool) {
	n := len(dst)
	for _, r := range s {
		if r < 0 || int(r) >= len(runeToByte) || runeToByte[r] < 0 {
			return dst[:n], false
		}
		dst = append(dst, byte(runeToByte[r]))
	}
	return dst, true
}
