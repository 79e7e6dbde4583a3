// Package generate turns a language model's logits into text: a seeded
// sampler (temperature, top-k), a per-sequence Decoder that samples, stops
// at the end-of-text token or the token budget and decodes the text as it
// streams, and Stream, the prefill-then-decode loop over one sequence.
//
// `quamba generate`, the edge binaries (examples/edge) and the completion
// server (package server) all generate through this package, so the same
// parameters give the same tokens everywhere.
package generate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/tokenizer"
)

// Params are the generation parameters.
type Params struct {
	// MaxTokens is the number of tokens to generate at most.
	MaxTokens int
	// Temperature divides the logits before sampling; 0 is greedy (the
	// argmax, ties to the lowest id).
	Temperature float64
	// TopK restricts sampling to the k most likely tokens; 0 means all.
	TopK int
	// Seed seeds the sampler.
	Seed uint64
}

// Validate checks p for a tokenizer of vocab tokens (vocab <= 0 skips the
// top-k bound).
func (p Params) Validate(vocab int) error {
	if p.MaxTokens < 0 {
		return fmt.Errorf("max tokens %d: must be >= 0", p.MaxTokens)
	}
	if p.Temperature < 0 || math.IsNaN(p.Temperature) || math.IsInf(p.Temperature, 0) {
		return fmt.Errorf("temperature %v: must be a finite number >= 0", p.Temperature)
	}
	if p.TopK < 0 {
		return fmt.Errorf("top-k %d: must be >= 0", p.TopK)
	}
	if vocab > 0 && p.TopK > vocab {
		return fmt.Errorf("top-k %d: larger than the vocabulary of %d tokens", p.TopK, vocab)
	}
	return nil
}

// Sampler draws the next token from logits with temperature and top-k.
// Only the first vocab logits are candidates: padding rows of the
// embedding are never sampled. It is not safe for concurrent use.
type Sampler struct {
	vocab int
	temp  float64
	topK  int
	rng   *rand.Rand
	idx   []int
	prob  []float64
}

// NewSampler returns a sampler over the first vocab logits.
func NewSampler(vocab int, temp float64, topK int, seed uint64) *Sampler {
	return &Sampler{
		vocab: vocab, temp: temp, topK: topK,
		rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		idx: make([]int, vocab), prob: make([]float64, vocab),
	}
}

// ErrNonFinite reports logits that are NaN or infinite: the model's
// numbers have overflowed or its weights are broken, and no token can be
// sampled from them.
var ErrNonFinite = errors.New("the model's logits are not finite (NaN or infinity)")

// CheckLogits returns an error wrapping ErrNonFinite, naming the first
// offending id, when a logit among the first vocab is NaN or infinite.
func CheckLogits(logits []float32, vocab int) error {
	for i, v := range logits[:min(vocab, len(logits))] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: logit of token %d is %v", ErrNonFinite, i, v)
		}
	}
	return nil
}

// Sample returns the next token for logits (at least vocab of them).
// Logits must be finite (see CheckLogits); non-finite ones give an
// arbitrary token, never a panic.
func (s *Sampler) Sample(logits []float32) int {
	logits = logits[:s.vocab]
	if s.temp == 0 {
		return model.Argmax(logits)
	}
	idx := s.topIndices(logits)
	maxLogit := math.Inf(-1)
	for _, i := range idx {
		maxLogit = math.Max(maxLogit, float64(logits[i]))
	}
	sum := 0.0
	for j, i := range idx {
		p := math.Exp((float64(logits[i]) - maxLogit) / s.temp)
		s.prob[j] = p
		sum += p
	}
	if !(sum > 0) || math.IsInf(sum, 0) { // non-finite logits
		return idx[0]
	}
	r := s.rng.Float64() * sum
	for j, i := range idx {
		r -= s.prob[j]
		if r < 0 {
			return i
		}
	}
	return idx[len(idx)-1]
}

// topIndices returns the indices of the topK largest logits (all of them when
// topK is 0), keeping a small sorted list so that one pass over a 50k
// vocabulary costs little more than reading it.
func (s *Sampler) topIndices(logits []float32) []int {
	idx := s.idx[:0]
	if s.topK == 0 || s.topK >= len(logits) {
		for i := range logits {
			idx = append(idx, i)
		}
		return idx
	}
	for i, v := range logits {
		if len(idx) == s.topK && !(v > logits[idx[len(idx)-1]]) {
			continue // not larger than the k-th (or NaN)
		}
		// Insert i keeping idx sorted by descending logit (ties: lower id first).
		pos := len(idx)
		for pos > 0 && v > logits[idx[pos-1]] {
			pos--
		}
		if len(idx) < s.topK {
			idx = append(idx, 0)
		}
		copy(idx[pos+1:], idx[pos:len(idx)-1])
		idx[pos] = i
	}
	return idx
}

// Finish reasons, as OpenAI's completion API names them.
const (
	FinishLength = "length" // the token budget was reached
	FinishStop   = "stop"   // the model produced its end-of-text token
)

// Decoder is the generation state of one sequence, independent of how the
// model is run: the caller feeds the model, Decoder picks the tokens. Use:
//
//	for !d.Done() {
//		id, text, feed := d.Next(logits) // logits of the last token fed
//		emit(text)
//		if feed { step the model with id, writing logits }
//	}
//	emit(d.Flush())
type Decoder struct {
	sampler *Sampler
	stream  *tokenizer.StreamDecoder
	eos     int
	hasEOS  bool
	max, n  int
	reason  string
}

// NewDecoder returns a Decoder for p with tok's vocabulary and
// end-of-text token.
func NewDecoder(tok tokenizer.Tokenizer, p Params) *Decoder {
	d := &Decoder{
		sampler: NewSampler(tok.VocabSize(), p.Temperature, p.TopK, p.Seed),
		stream:  tokenizer.NewStreamDecoder(tok),
		max:     p.MaxTokens,
	}
	d.eos, d.hasEOS = tok.EOS()
	if d.max <= 0 {
		d.reason = FinishLength
	}
	return d
}

// Done reports whether generation has ended.
func (d *Decoder) Done() bool { return d.reason != "" }

// Next samples a token from the logits of the last token fed and returns
// it, the text it completes (possibly empty: a character may span tokens)
// and whether the model must be fed id to continue. It must not be called
// once Done: the end-of-text token ends generation without being emitted
// or fed, and the last token of the budget is emitted but not fed.
func (d *Decoder) Next(logits []float32) (id int, text string, feed bool) {
	if d.Done() {
		return -1, "", false
	}
	id = d.sampler.Sample(logits)
	if d.hasEOS && id == d.eos {
		d.reason = FinishStop
		return id, "", false
	}
	text = d.stream.Add(id)
	d.n++
	if d.n >= d.max {
		d.reason = FinishLength
		return id, text, false
	}
	return id, text, true
}

// Flush returns the text still held back (an incomplete character).
func (d *Decoder) Flush() string { return d.stream.Flush() }

// Generated is the number of tokens emitted so far.
func (d *Decoder) Generated() int { return d.n }

// FinishReason is FinishLength or FinishStop once Done, else "".
func (d *Decoder) FinishReason() string { return d.reason }

// Stats measures a Stream call.
type Stats struct {
	PromptTokens int
	Tokens       int           // generated tokens
	Prefill      time.Duration // the prompt's forward pass
	FirstToken   time.Duration // from the call to the first emitted token
	Decode       time.Duration // from the end of prefill to the last token
	FinishReason string
}

// String is the --stats line of the generating commands.
func (s Stats) String() string {
	return fmt.Sprintf("prefill %d tokens in %v (%.0f tokens/s); first token after %v; decode %d tokens in %v (%.1f tokens/s)",
		s.PromptTokens, s.Prefill.Round(time.Microsecond), float64(s.PromptTokens)/s.Prefill.Seconds(),
		s.FirstToken.Round(time.Microsecond),
		s.Tokens, s.Decode.Round(time.Microsecond), float64(s.Tokens)/s.Decode.Seconds())
}

// Stream feeds prompt to a new sequence of lm in sequence mode, then
// generates up to p.MaxTokens tokens one step at a time, passing the text
// to emit as it completes (the pieces concatenate to the decoded tokens).
// ctx cancels between tokens; an emit error stops generation and is
// returned.
func Stream(ctx context.Context, lm model.LanguageModel, tok tokenizer.Tokenizer, prompt []int, p Params, emit func(text string) error) (st Stats, err error) {
	st.PromptTokens = len(prompt)
	if len(prompt) == 0 {
		return st, fmt.Errorf("generate: the prompt is empty")
	}
	if err = p.Validate(tok.VocabSize()); err != nil {
		return st, fmt.Errorf("generate: %w", err)
	}
	_, padded := lm.Vocab()
	if tok.VocabSize() > padded {
		return st, fmt.Errorf("generate: the tokenizer's %d tokens exceed the model's %d logits", tok.VocabSize(), padded)
	}
	start := time.Now()
	seq := lm.NewSequence()
	logits := make([]float32, padded)
	if err = seq.Forward(prompt, logits); err != nil {
		return st, err
	}
	st.Prefill = time.Since(start)
	d := NewDecoder(tok, p)
	defer func() {
		st.Decode = time.Since(start) - st.Prefill
		st.Tokens = d.Generated()
		st.FinishReason = d.FinishReason()
	}()
	for !d.Done() {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := CheckLogits(logits, tok.VocabSize()); err != nil {
			return st, fmt.Errorf("generate: after %d prompt and %d generated tokens: %w", len(prompt), d.Generated(), err)
		}
		id, text, feed := d.Next(logits)
		if d.Generated() == 1 && st.FirstToken == 0 {
			st.FirstToken = time.Since(start)
		}
		if text != "" {
			if err := emit(text); err != nil {
				return st, err
			}
		}
		if feed {
			if err := seq.Step(id, logits); err != nil {
				return st, err
			}
		}
	}
	if rest := d.Flush(); rest != "" {
		if err := emit(rest); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Tokenizer picks the tokenizer of a model the way the quamba commands do:
// the model's own tokenizer.json when tokenizerJSON is not empty (name
// names it in errors), bytes for byte-level models (a vocabulary of at most
// 256), and otherwise the embedded GPT-NeoX-20B tokenizer of every
// state-spaces Mamba and Mamba2 checkpoint.
func Tokenizer(cfg formats.Config, tokenizerJSON []byte, name string) (tokenizer.Tokenizer, error) {
	if len(tokenizerJSON) > 0 {
		tok, err := tokenizer.Parse(tokenizerJSON, name)
		if err != nil {
			return nil, err
		}
		if tok.VocabSize() > cfg.PaddedVocab {
			return nil, fmt.Errorf("%s has %d token ids but the model has only %d vocabulary rows: the tokenizer does not belong to this model",
				name, tok.VocabSize(), cfg.PaddedVocab)
		}
		return tok, nil
	}
	if cfg.VocabSize <= 256 {
		return tokenizer.Bytes(), nil
	}
	tok, err := tokenizer.GPTNeoX()
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > cfg.PaddedVocab {
		return nil, fmt.Errorf("%s: vocabulary of %d rows is smaller than the GPT-NeoX tokenizer's %d tokens; put the model's tokenizer.json beside it",
			name, cfg.PaddedVocab, tok.VocabSize())
	}
	return tok, nil
}
