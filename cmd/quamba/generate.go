package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/generate"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "continue a prompt, streaming the text as it is generated",
		Flags: []cli.Flag{
			modelFlag,
			noVerifyFlag,
			simulateFlag,
			threadsFlag,
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
	p := generate.Params{
		MaxTokens:   c.Int("max-tokens"),
		Temperature: c.Float64("temperature"),
		TopK:        c.Int("top-k"),
		Seed:        c.Uint64("seed"),
	}
	if err := p.Validate(0); err != nil {
		return err
	}
	l, err := loadModel(c)
	if err != nil {
		return err
	}
	defer l.close()
	prompt := l.tok.Encode(c.String("prompt"))
	if len(prompt) == 0 {
		return fmt.Errorf("the prompt is empty")
	}
	out := c.App.Writer
	fmt.Fprint(out, c.String("prompt"))
	st, err := generate.Stream(c.Context, l.lm, l.tok, prompt, p, func(text string) error {
		_, err := fmt.Fprint(out, text)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	if c.Bool("stats") {
		fmt.Fprintln(os.Stderr, st)
	}
	return nil
}
