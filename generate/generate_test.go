package generate

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/tokenizer"
)

func TestSamplerTopK(t *testing.T) {
	logits := []float32{0.5, 3, -1, 3, 2, 9, 0}
	s := NewSampler(len(logits), 1, 3, 1)
	got := s.topIndices(logits)
	want := []int{5, 1, 3} // ties keep the lower id first
	if !slices.Equal(got, want) {
		t.Fatalf("top-3 of %v = %v, want %v", logits, got, want)
	}
	seen := map[int]bool{}
	for i := 0; i < 2000; i++ {
		seen[s.Sample(logits)] = true
	}
	for id := range seen {
		if id != 5 && id != 1 && id != 3 {
			t.Errorf("sampled id %d outside the top 3", id)
		}
	}
	greedy := NewSampler(len(logits), 0, 0, 1)
	if id := greedy.Sample(logits); id != 5 {
		t.Errorf("temperature 0 picked %d, want 5", id)
	}
}

// Stream at temperature 0 is model.Greedy decoded, and a budget of n
// tokens emits n tokens.
func TestStreamGreedyMatchesGreedy(t *testing.T) {
	m, err := model.Load("../testdata/mamba1-shakespeare")
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenizer.Bytes()
	prompt := tok.Encode("ROMEO:\n")
	const n = 40
	want, err := model.Greedy(m.NewSequence(), m.Config.VocabSize, m.Config.PaddedVocab, prompt, n)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	st, err := Stream(context.Background(), m, tok, prompt, Params{MaxTokens: n}, func(s string) error {
		got.WriteString(s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != tok.Decode(want) {
		t.Errorf("stream %q, greedy %q", got.String(), tok.Decode(want))
	}
	if st.Tokens != n || st.PromptTokens != len(prompt) || st.FinishReason != FinishLength {
		t.Errorf("stats %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Stream(ctx, m, tok, prompt, Params{MaxTokens: n}, func(string) error { return nil }); err == nil {
		t.Error("a cancelled context did not stop the stream")
	}
}

// eosTokenizer is the byte tokenizer with byte '\n' as end of text.
type eosTokenizer struct{ tokenizer.Tokenizer }

func (eosTokenizer) EOS() (int, bool) { return '\n', true }

func TestDecoderStopsAtEOSAndBudget(t *testing.T) {
	logits := make([]float32, 256)
	logits['a'] = 1
	d := NewDecoder(eosTokenizer{tokenizer.Bytes()}, Params{MaxTokens: 3})
	var text string
	for !d.Done() {
		id, s, feed := d.Next(logits)
		text += s
		if feed != !d.Done() || id != 'a' {
			t.Fatalf("id %d feed %v done %v", id, feed, d.Done())
		}
	}
	if text != "aaa" || d.FinishReason() != FinishLength || d.Generated() != 3 {
		t.Errorf("text %q, reason %q, %d tokens", text, d.FinishReason(), d.Generated())
	}
	logits['\n'] = 2
	d = NewDecoder(eosTokenizer{tokenizer.Bytes()}, Params{MaxTokens: 3})
	if _, s, feed := d.Next(logits); s != "" || feed || d.FinishReason() != FinishStop {
		t.Errorf("end of text: text %q, feed %v, reason %q", s, feed, d.FinishReason())
	}
	if d := NewDecoder(tokenizer.Bytes(), Params{}); !d.Done() {
		t.Error("a budget of 0 tokens is not done at once")
	}
}

func TestParamsValidate(t *testing.T) {
	for _, p := range []Params{{MaxTokens: -1}, {Temperature: -1}, {TopK: -1}, {TopK: 300}} {
		if err := p.Validate(256); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := (Params{MaxTokens: 5, Temperature: 0.7, TopK: 256}).Validate(256); err != nil {
		t.Error(err)
	}
}

func TestTokenizerChoice(t *testing.T) {
	tok, err := Tokenizer(formats.Config{VocabSize: 256, PaddedVocab: 256}, nil, "m")
	if err != nil || tok.VocabSize() != 256 {
		t.Fatalf("byte model: %v %v", tok, err)
	}
	if _, err := Tokenizer(formats.Config{VocabSize: 1000, PaddedVocab: 1000}, nil, "m"); err == nil {
		t.Error("a 1000-row vocabulary took the GPT-NeoX tokenizer")
	}
	if _, err := Tokenizer(formats.Config{VocabSize: 1000, PaddedVocab: 1000}, []byte("{"), "m"); err == nil {
		t.Error("a broken tokenizer.json was accepted")
	}
	neox, err := os.ReadFile("../tokenizer/data/gpt-neox-20b/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Tokenizer(formats.Config{VocabSize: 256, PaddedVocab: 256}, neox, "m/tokenizer.json")
	if err == nil || !strings.Contains(err.Error(), "m/tokenizer.json") || !strings.Contains(err.Error(), "50277") || !strings.Contains(err.Error(), "256") {
		t.Errorf("a 50277-token tokenizer.json for 256 rows: error %v", err)
	}
}

// fakeLM is a byte-vocabulary model whose logits come from a function of
// the number of tokens fed so far.
type fakeLM struct{ logits func(step int, out []float32) }

func (m fakeLM) Vocab() (int, int)           { return 256, 256 }
func (m fakeLM) NewSequence() model.Sequence { return &fakeSeq{m: m} }

type fakeSeq struct {
	m fakeLM
	n int
}

func (s *fakeSeq) Forward(tokens []int, logits []float32) error {
	s.n += len(tokens)
	s.m.logits(s.n, logits)
	return nil
}
func (s *fakeSeq) Step(token int, logits []float32) error { return s.Forward([]int{token}, logits) }
func (s *fakeSeq) Reset()                                 { s.n = 0 }

// Non-finite logits end generation with an error, at any temperature and
// top-k, instead of a panic or an arbitrary token.
func TestStreamNonFiniteLogits(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		lm := fakeLM{func(step int, out []float32) {
			clear(out)
			out['a'] = 100
			if step >= 3 {
				for i := range out {
					out[i] = bad
				}
			}
		}}
		for _, p := range []Params{{MaxTokens: 10}, {MaxTokens: 10, Temperature: 0.8}, {MaxTokens: 10, Temperature: 0.8, TopK: 5}} {
			var got strings.Builder
			_, err := Stream(context.Background(), lm, tokenizer.Bytes(), []int{'x', 'y'}, p, func(s string) error {
				got.WriteString(s)
				return nil
			})
			if !errors.Is(err, ErrNonFinite) {
				t.Errorf("logits %v, %+v: error %v, want ErrNonFinite", bad, p, err)
			}
			if got.String() != "a" {
				t.Errorf("logits %v, %+v: emitted %q before the error, want \"a\"", bad, p, got.String())
			}
		}
	}
	// The sampler itself never panics on them.
	nan := []float32{1, float32(math.NaN()), 2, float32(math.NaN()), 0}
	for _, k := range []int{0, 1, 2, 5} {
		s := NewSampler(len(nan), 1, k, 1)
		for range 10 {
			if id := s.Sample(nan); id < 0 || id >= len(nan) {
				t.Fatalf("top-k %d: id %d", k, id)
			}
		}
	}
}

// Greedy streaming emits exactly the tokenizer's decoding of the tokens,
// also when characters are split across tokens, bytes are invalid UTF-8
// and the last character is cut off by the budget.
func TestStreamGreedyUTF8(t *testing.T) {
	seq := []int{0xE2, 0x82, 0xAC, 'a', 0xFF, 0xC3, 'b', 0xF0, 0x9F, 0x98, 0x80, 0xE2, 0x82}
	lm := fakeLM{func(step int, out []float32) {
		clear(out)
		out[seq[min(step-1, len(seq)-1)]] = 1
	}}
	tok := tokenizer.Bytes()
	var pieces []string
	_, err := Stream(context.Background(), lm, tok, []int{'x'}, Params{MaxTokens: len(seq)}, func(s string) error {
		pieces = append(pieces, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(pieces, ""), tok.Decode(seq); got != want {
		t.Errorf("streamed %q, decoded %q", got, want)
	}
	for _, p := range pieces[:len(pieces)-1] {
		if strings.HasSuffix(p, "\xe2") || strings.HasSuffix(p, "\xe2\x82") {
			t.Errorf("piece %q ends inside a character that later completes", p)
		}
	}
}
