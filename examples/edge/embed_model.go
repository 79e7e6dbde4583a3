//go:build quamba_embed

package main

import _ "embed"

//go:embed model.gguf
var embeddedModel []byte

func init() { artifact = embeddedModel }
