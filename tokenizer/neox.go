package tokenizer

import (
	_ "embed"
	"fmt"
	"sync"
)

//go:generate go test -run ^TestCompactGPTNeoX$ -update .

// The GPT-NeoX-20B tokenizer (Apache-2.0), used by every state-spaces Mamba
// and Mamba2 checkpoint; see data/gpt-neox-20b/SOURCES.md. It is embedded in
// compact form (compact.go), generated from data/gpt-neox-20b/tokenizer.json,
// which loads in a few milliseconds instead of the tens that parsing the JSON
// takes.
//
//go:embed data/gpt-neox-20b/tokenizer.bpe
var gptNeoXCompact string

var gptNeoX = sync.OnceValues(func() (*BPE, error) {
	t, err := loadCompact(gptNeoXCompact)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: embedded gpt-neox-20b tokenizer: %w", err)
	}
	return t, nil
})

// GPTNeoX returns the embedded GPT-NeoX-20B tokenizer: vocabulary size
// 50277, <|endoftext|> (id 0) as end of text. It is the tokenizer Parse
// reads from the Hugging Face tokenizer.json of EleutherAI/gpt-neox-20b. The
// same value is returned on every call.
func GPTNeoX() (*BPE, error) { return gptNeoX() }
