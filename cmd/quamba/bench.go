package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/model"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "prefill and decode speed of a model (median of several runs)",
		Flags: []cli.Flag{
			modelFlag,
			noVerifyFlag,
			&cli.IntFlag{Name: "prompt-len", Value: 512, Usage: "prompt tokens processed in sequence mode"},
			&cli.IntFlag{Name: "gen", Value: 64, Usage: "tokens decoded one at a time after the prompt"},
			&cli.IntFlag{Name: "runs", Value: 3, Usage: "repetitions; the median is reported"},
		},
		Action: runBench,
	}
}

func runBench(c *cli.Context) error {
	promptLen, gen, runs := c.Int("prompt-len"), c.Int("gen"), c.Int("runs")
	if promptLen < 1 || gen < 0 || runs < 1 {
		return fmt.Errorf("--prompt-len must be >= 1, --gen >= 0 and --runs >= 1")
	}
	dir, err := modelDir(c)
	if err != nil {
		return err
	}
	m, err := model.Load(dir) // token ids are random: no tokenizer needed
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	prompt := make([]int, promptLen)
	for i := range prompt {
		prompt[i] = rng.IntN(m.Config.VocabSize)
	}
	st := m.NewState()
	logits := make([]float32, m.Config.PaddedVocab)
	var prefill, decode []float64
	for r := 0; r < runs; r++ {
		if err := c.Context.Err(); err != nil {
			return err
		}
		st.Reset()
		start := time.Now()
		if err := m.Forward(st, prompt, logits); err != nil {
			return err
		}
		prefill = append(prefill, float64(promptLen)/time.Since(start).Seconds())
		if gen == 0 {
			continue
		}
		start = time.Now()
		for i := 0; i < gen; i++ {
			if err := m.Step(st, prompt[i%promptLen], logits); err != nil {
				return err
			}
		}
		decode = append(decode, float64(gen)/time.Since(start).Seconds())
	}
	out := c.App.Writer
	fmt.Fprintf(out, "model    %s (%s, d_model %d, %d layers)\n", dir, m.Config.Arch, m.Config.DModel, m.Config.NLayer)
	fmt.Fprintf(out, "engine   fp32\n")
	fmt.Fprintf(out, "prefill  %.1f tokens/s (%d-token prompt, median of %d)\n", median(prefill), promptLen, runs)
	if gen > 0 {
		fmt.Fprintf(out, "decode   %.1f tokens/s (%d tokens, median of %d)\n", median(decode), gen, runs)
	}
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
