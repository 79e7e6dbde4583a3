package model

import (
	"context"
	"fmt"
	"math"
)

// PerplexityWindow is the window length of the perplexity protocol.
const PerplexityWindow = 256

// PerplexityResult is the outcome of Model.Perplexity.
type PerplexityResult struct {
	NLL         float64   // total negative log-likelihood, nats
	Predictions int       // number of predicted tokens
	WindowNLL   []float64 // NLL of each window
}

// PPL is exp(NLL / Predictions).
func (r PerplexityResult) PPL() float64 {
	if r.Predictions == 0 {
		return math.NaN()
	}
	return math.Exp(r.NLL / float64(r.Predictions))
}

// Perplexity evaluates tokens with the windowed protocol: non-overlapping
// windows of window tokens (the last may be shorter and is dropped when it has
// fewer than 2), each from a zero state; within a window, tokens 1..n-1 are
// predicted from their prefix, with a log-softmax over the whole padded
// vocabulary (in float64). progress, if not nil, is called after each window
// with the windows done and the total. ctx cancels between windows.
func (m *Model) Perplexity(ctx context.Context, tokens []int, window int, progress func(done, total int)) (PerplexityResult, error) {
	if window < 2 {
		return PerplexityResult{}, fmt.Errorf("model: perplexity window %d is shorter than 2 tokens", window)
	}
	nWin := len(tokens) / window
	if rest := len(tokens) % window; rest >= 2 {
		nWin++
	}
	if nWin == 0 {
		return PerplexityResult{}, fmt.Errorf("model: perplexity needs at least 2 tokens, got %d", len(tokens))
	}
	V := m.Config.PaddedVocab
	s := m.NewState()
	logits := make([]float32, min(window, len(tokens))*V)
	res := PerplexityResult{WindowNLL: make([]float64, 0, nWin)}
	for w := range nWin {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		win := tokens[w*window : min((w+1)*window, len(tokens))]
		n := len(win)
		s.Reset()
		if err := m.Forward(s, win, logits[:n*V]); err != nil {
			return res, fmt.Errorf("perplexity window %d: %w", w, err)
		}
		var nll float64
		for t := 0; t+1 < n; t++ {
			nll += LogSumExp(logits[t*V:(t+1)*V]) - float64(logits[t*V+win[t+1]])
		}
		res.WindowNLL = append(res.WindowNLL, nll)
		res.NLL += nll
		res.Predictions += n - 1
		if progress != nil {
			progress(w+1, nWin)
		}
	}
	return res, nil
}

// LogSumExp returns log Σ exp(v), computed in float64.
func LogSumExp(v []float32) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = max(mx, float64(x))
	}
	var sum float64
	for _, x := range v {
		sum += math.Exp(float64(x) - mx)
	}
	return mx + math.Log(sum)
}

// Argmax returns the index of the largest value, the lowest index on ties.
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Greedy feeds prompt from state s and then generates n tokens, each the
// argmax of the logits over the declared vocabulary (ties to the lowest id).
// It leaves s after the last generated token has been fed.
func (m *Model) Greedy(s *State, prompt []int, n int) ([]int, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("model: greedy decoding needs a prompt")
	}
	logits := make([]float32, m.Config.PaddedVocab)
	if err := m.Forward(s, prompt, logits); err != nil {
		return nil, err
	}
	out := make([]int, 0, n)
	for len(out) < n {
		tok := Argmax(logits[:m.Config.VocabSize])
		out = append(out, tok)
		if err := m.Step(s, tok, logits); err != nil {
			return out, err
		}
	}
	return out, nil
}
