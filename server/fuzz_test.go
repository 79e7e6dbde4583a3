package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/quamba/quamba/tokenizer"
)

// FuzzParseRequest feeds arbitrary bytes as the body of a completion
// request: parse returns an error or a request within the server's limits,
// and never panics.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"prompt": "ROMEO:", "max_tokens": 8, "temperature": 0, "seed": 1}`))
	f.Add([]byte(`{"prompt": "To be", "max_tokens": 4, "temperature": 0.8, "top_k": 5, "stream": true}`))
	f.Add([]byte(`{"prompt": "\u00e9\ud83d\ude00", "seed": -3}`))
	f.Add([]byte(`{"prompt": "a"} {"prompt": "b"}`))
	f.Add([]byte(`{"prompt": ""}`))
	f.Add([]byte(`{"prompt": "x", "max_tokens": 0, "temperature": -1, "top_k": -2}`))
	f.Add([]byte(`[1, 2]`))
	s := &Server{cfg: Config{MaxTokens: 16, MaxPromptTokens: 64, MaxBodyBytes: 4096}.withDefaults(), tok: tokenizer.Bytes()}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<20 {
			t.Skip()
		}
		r := httptest.NewRequest(http.MethodPost, "/v1/completions", bytes.NewReader(body))
		prompt, p, _, err := s.parse(httptest.NewRecorder(), r)
		if err != nil {
			return
		}
		if len(prompt) == 0 || len(prompt) > s.cfg.MaxPromptTokens {
			t.Fatalf("accepted a prompt of %d tokens", len(prompt))
		}
		if p.MaxTokens < 1 || p.MaxTokens > s.cfg.MaxTokens {
			t.Fatalf("accepted max_tokens %d", p.MaxTokens)
		}
		if err := p.Validate(s.tok.VocabSize()); err != nil {
			t.Fatalf("accepted invalid parameters: %v", err)
		}
	})
}
