//go:build quamba_embed && quamba_tokenizer

package main

import _ "embed"

//go:embed tokenizer.json
var embeddedTokenizer []byte

func init() { tokenizerJSON = embeddedTokenizer }
