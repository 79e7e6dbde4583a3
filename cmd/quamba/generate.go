package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/tokenizer"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "continue a prompt, streaming the text as it is generated",
		Flags: []cli.Flag{
			modelFlag,
			noVerifyFlag,
			simulateFlag,
			&cli.StringFlag{Name: "prompt", Aliases: []string{"p"}, Value: "ROMEO:\n", Usage: "text to continue"},
			&cli.IntFlag{Name: "max-tokens", Aliases: []string{"n"}, Value: 200, Usage: "number of tokens to generate"},
			&cli.Float64Flag{Name: "temperature", Aliases: []string{"t"}, Value: 0.8, Usage: "sampling temperature; 0 is greedy"},
			&cli.IntFlag{Name: "top-k", Value: 40, Usage: "sample among the k most likely tokens; 0 for all"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.BoolFlag{Name: "stats", Usage: "print prefill and decode speed to stderr"},
		},
		Action: runGenerate,
	}
}

func runGenerate(c *cli.Context) error {
	l, err := loadModel(c)
	if err != nil {
		return err
	}
	defer l.close()
	tok := l.tok
	temp := c.Float64("temperature")
	if temp < 0 || math.IsNaN(temp) {
		return fmt.Errorf("--temperature %v: must be >= 0", temp)
	}
	topK := c.Int("top-k")
	if topK < 0 {
		return fmt.Errorf("--top-k %d: must be >= 0", topK)
	}
	n := c.Int("max-tokens")
	if n < 0 {
		return fmt.Errorf("--max-tokens %d: must be >= 0", n)
	}
	prompt := tok.Encode(c.String("prompt"))
	if len(prompt) == 0 {
		return fmt.Errorf("the prompt is empty")
	}

	st := l.lm.NewSequence()
	logits := make([]float32, l.cfg.PaddedVocab)
	start := time.Now()
	if err := st.Forward(prompt, logits); err != nil {
		return err
	}
	prefill := time.Since(start)

	s := newSampler(tok.VocabSize(), temp, topK, c.Uint64("seed"))
	eos, hasEOS := tok.EOS()
	dec := tokenizer.NewStreamDecoder(tok)
	out := c.App.Writer
	fmt.Fprint(out, c.String("prompt"))
	start = time.Now()
	generated := 0
	for i := 0; i < n; i++ {
		if err := c.Context.Err(); err != nil {
			return err
		}
		next := s.sample(logits)
		if hasEOS && next == eos {
			break
		}
		fmt.Fprint(out, dec.Add(next))
		generated++
		if i == n-1 {
			break
		}
		if err := st.Step(next, logits); err != nil {
			return err
		}
	}
	fmt.Fprint(out, dec.Flush())
	fmt.Fprintln(out)
	if c.Bool("stats") {
		decode := time.Since(start)
		fmt.Fprintf(os.Stderr, "prefill %d tokens in %v (%.0f tokens/s); decode %d tokens in %v (%.1f tokens/s)\n",
			len(prompt), prefill.Round(time.Microsecond), float64(len(prompt))/prefill.Seconds(),
			generated, decode.Round(time.Microsecond), float64(generated)/decode.Seconds())
	}
	return nil
}

// sampler draws the next token from logits with temperature and top-k.
// Only the first vocab logits are candidates: padding rows of the
// embedding are never sampled.
type sampler struct {
	vocab int
	temp  float64
	topK  int
	rng   *rand.Rand
	idx   []int
	prob  []float64
}

func newSampler(vocab int, temp float64, topK int, seed uint64) *sampler {
	return &sampler{
		vocab: vocab, temp: temp, topK: topK,
		rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		idx: make([]int, vocab), prob: make([]float64, vocab),
	}
}

func (s *sampler) sample(logits []float32) int {
	logits = logits[:s.vocab]
	if s.temp == 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
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
func (s *sampler) topIndices(logits []float32) []int {
	idx := s.idx[:0]
	if s.topK == 0 || s.topK >= len(logits) {
		for i := range logits {
			idx = append(idx, i)
		}
		return idx
	}
	for i, v := range logits {
		if len(idx) == s.topK && v <= logits[idx[len(idx)-1]] {
			continue
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
