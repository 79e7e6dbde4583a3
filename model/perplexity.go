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

// LanguageModel is anything that predicts tokens: the FP32 engine, the
// quantization simulation, the int8 runtime. Perplexity and Greedy work on
// any of them alike.
type LanguageModel interface {
	// Vocab returns the declared vocabulary size and the padded number of
	// logits per token.
	Vocab() (size, padded int)
	// NewSequence returns a fresh sequence (zero state).
	NewSequence() Sequence
}

// Sequence is the decode state of one sequence of a LanguageModel. It is
// not safe for concurrent use.
type Sequence interface {
	// Forward feeds tokens in sequence mode; logits is empty, the padded
	// logits of the last token, or those of every token (see Model.Forward).
	Forward(tokens []int, logits []float32) error
	// Step feeds one token in decode mode and writes its logits.
	Step(token int, logits []float32) error
	// Reset returns the sequence to the zero state.
	Reset()
}

// Vocab returns m's vocabulary size and padded vocabulary.
func (m *Model) Vocab() (size, padded int) { return m.Config.VocabSize, m.Config.PaddedVocab }

// NewSequence returns m.NewState() as a Sequence.
func (m *Model) NewSequence() Sequence { return m.NewState() }

// Forward runs s.Model().Forward on s.
func (s *State) Forward(tokens []int, logits []float32) error { return s.m.Forward(s, tokens, logits) }

// Step runs s.Model().Step on s.
func (s *State) Step(token int, logits []float32) error { return s.m.Step(s, token, logits) }

// Model returns the model s belongs to.
func (s *State) Model() *Model { return s.m }

// Perplexity evaluates tokens on lm with the windowed protocol:
// non-overlapping windows of window tokens (the last may be shorter and is
// dropped when it has fewer than 2), each from a zero state; within a
// window, tokens 1..n-1 are predicted from their prefix, with a log-softmax
// over the whole padded vocabulary (in float64). progress, if not nil, is
// called after each window with the windows done and the total. ctx cancels
// between windows.
func Perplexity(ctx context.Context, lm LanguageModel, tokens []int, window int, progress func(done, total int)) (PerplexityResult, error) {
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
	_, V := lm.Vocab()
	s := lm.NewSequence()
	logits := make([]float32, min(window, len(tokens))*V)
	res := PerplexityResult{WindowNLL: make([]float64, 0, nWin)}
	for w := range nWin {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		win := tokens[w*window : min((w+1)*window, len(tokens))]
		n := len(win)
		s.Reset()
		if err := s.Forward(win, logits[:n*V]); err != nil {
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

// Perplexity is Perplexity(ctx, m, ...).
func (m *Model) Perplexity(ctx context.Context, tokens []int, window int, progress func(done, total int)) (PerplexityResult, error) {
	return Perplexity(ctx, m, tokens, window, progress)
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

// Greedy feeds prompt to s and then generates n tokens, each the argmax of
// the logits over the first vocab entries (the declared vocabulary; ties to
// the lowest id), padded logits per token. It leaves s after the last
// generated token has been fed.
func Greedy(s Sequence, vocab, padded int, prompt []int, n int) ([]int, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("model: greedy decoding needs a prompt")
	}
	logits := make([]float32, padded)
	if err := s.Forward(prompt, logits); err != nil {
		return nil, err
	}
	out := make([]int, 0, n)
	for len(out) < n {
		tok := Argmax(logits[:vocab])
		out = append(out, tok)
		if err := s.Step(tok, logits); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Greedy is Greedy(s, vocab, padded, prompt, n) for s of m.
func (m *Model) Greedy(s *State, prompt []int, n int) ([]int, error) {
	if s == nil || s.m != m {
		return nil, fmt.Errorf("model: greedy with a state of another model")
	}
	return Greedy(s, m.Config.VocabSize, m.Config.PaddedVocab, prompt, n)
}
