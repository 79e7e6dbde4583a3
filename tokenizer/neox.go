package tokenizer

import (
	_ "embed"
	"sync"
)

// The GPT-NeoX-20B tokenizer (Apache-2.0), used by every state-spaces Mamba
// and Mamba2 checkpoint; see data/gpt-neox-20b/SOURCES.md.
//
//go:embed data/gpt-neox-20b/tokenizer.json
var gptNeoXJSON []byte

var gptNeoX = sync.OnceValues(func() (*BPE, error) {
	return Parse(gptNeoXJSON, "embedded gpt-neox-20b tokenizer.json")
})

// GPTNeoX returns the embedded GPT-NeoX-20B tokenizer: vocabulary size
// 50277, <|endoftext|> (id 0) as end of text. The same value is returned on
// every call.
func GPTNeoX() (*BPE, error) { return gptNeoX() }
