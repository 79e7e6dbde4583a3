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
			&cli.StringFlag{Name: "prompt-file", Usage: "read the text to continue from this file, - for the standard input (instead of --prompt)"},
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
	text := c.String("prompt")
	if path := c.String("prompt-file"); path != "" {
		if c.IsSet("prompt") {
			return usageErrorf("generate: --prompt and --prompt-file exclude each other")
		}
		data, err := readInput(c, "prompt-file", path)
		if err != nil {
			return err
		}
		text = string(data)
	}
	l, err := loadModel(c)
	if err != nil {
		return err
	}
	defer l.close()
	prompt := l.tok.Encode(text)
	if len(prompt) == 0 {
		return fmt.Errorf("the prompt is empty")
	}
	out := c.App.Writer
	fmt.Fprint(out, text)
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
