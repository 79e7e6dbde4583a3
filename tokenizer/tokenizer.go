// Package tokenizer turns text into model token ids and back.
//
// It provides an exact implementation of Hugging Face byte-level BPE
// tokenizers (tokenizer.json files such as the GPT-NeoX-20B tokenizer used by
// every state-spaces Mamba and Mamba2 checkpoint) and a plain byte tokenizer
// (ids 0..255 are the bytes themselves) for byte-level models.
//
// Both satisfy [Tokenizer]. The byte tokenizer round-trips every byte string
// unchanged. For the BPE tokenizer Decode(Encode(s)) == s holds for every s
// in Unicode Normalization Form C, including strings that are not valid
// UTF-8: invalid bytes are encoded as byte tokens and decode back to the same
// bytes. Two exceptions follow from the vocabulary and from Hugging Face
// tokenizers: text that is not in NFC is encoded as its NFC form (computed
// separately between special tokens such as <|endoftext|>), and a byte that
// has no token in the vocabulary (for GPT-NeoX-20B: 0xC0, 0xC1, 0xF5..0xFF,
// bytes that never occur in UTF-8) is encoded as U+FFFD.
package tokenizer

// Tokenizer converts between text and token ids.
type Tokenizer interface {
	// Encode returns the token ids of text. It never adds special tokens
	// (no BOS or EOS) that are not written in the text itself.
	Encode(text string) []int
	// Decode returns the text of ids. Ids outside the vocabulary are skipped.
	// The result may hold invalid UTF-8 when the ids split a character.
	Decode(ids []int) string
	// VocabSize is one more than the largest valid id.
	VocabSize() int
	// EOS returns the end-of-text token id, if the tokenizer has one.
	EOS() (int, bool)
}

var (
	_ Tokenizer = (*BPE)(nil)
	_ Tokenizer = byteTokenizer{}
)

// byteTokenizer maps each byte to the id of the same value.
type byteTokenizer struct{}

// Bytes returns the byte tokenizer: token id i is the byte i, for i in
// 0..255. It has no end-of-text token.
func Bytes() Tokenizer { return byteTokenizer{} }

func (byteTokenizer) Encode(text string) []int {
	ids := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int(text[i])
	}
	return ids
}

func (byteTokenizer) Decode(ids []int) string {
	b := make([]byte, 0, len(ids))
	for _, id := range ids {
		if id >= 0 && id < 256 {
			b = append(b, byte(id))
		}
	}
	return string(b)
}

func (byteTokenizer) VocabSize() int { return 256 }

func (byteTokenizer) EOS() (int, bool) { return 0, false }
