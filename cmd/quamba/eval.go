package main

import (
	"fmt"
	"math"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/model"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "perplexity of a model on a text file",
		Description: "The text is split into non-overlapping windows of --ctx tokens; each window starts from a zero\n" +
			"state and its tokens 1..n-1 are predicted from their prefix. Perplexity = exp(total NLL / predictions).",
		Flags: []cli.Flag{
			modelFlag,
			noVerifyFlag,
			simulateFlag,
			threadsFlag,
			&cli.StringFlag{Name: "text", Usage: "text file to evaluate, - for the standard input (default: the bundled held-out Tiny Shakespeare slice)"},
			&cli.IntFlag{Name: "ctx", Usage: "window length in tokens (default: 256 for byte-level models, 2048 otherwise)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar (it is only drawn on a terminal)"},
		},
		Action: runEval,
	}
}

func runEval(c *cli.Context) error {
	l, err := loadModel(c)
	if err != nil {
		return err
	}
	defer l.close()
	dir, tok := l.dir, l.tok
	textPath := c.String("text")
	if textPath == "" {
		if textPath, err = bundledPath(bundledHeldout); err != nil {
			return fmt.Errorf("no --text given and %w; pass --text FILE", err)
		}
	}
	text, err := readInput(c, "text", textPath)
	if err != nil {
		return err
	}
	ctxLen := c.Int("ctx")
	if ctxLen == 0 {
		ctxLen = 2048
		if l.cfg.VocabSize <= 256 {
			ctxLen = 256
		}
	}
	if ctxLen < 2 {
		return fmt.Errorf("--ctx %d: a window needs at least 2 tokens", ctxLen)
	}
	tokens := tok.Encode(string(text))
	if len(tokens) < 2 {
		return fmt.Errorf("%s: %d tokens, need at least 2", inputName(textPath), len(tokens))
	}

	var bar *progressbar.ProgressBar
	var progress func(done, total int)
	if barsOn(c, c.Bool("quiet")) {
		progress = func(done, total int) {
			if bar == nil {
				bar = newBar(c, total, "windows")
			}
			_ = bar.Set(done)
		}
	}
	start := time.Now()
	res, err := model.Perplexity(c.Context, l.lm, tokens, ctxLen, progress)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if bar != nil {
		_ = bar.Finish()
	}
	out := c.App.Writer
	fmt.Fprintf(out, "model       %s (%s)\n", dir, l.kind)
	fmt.Fprintf(out, "text        %s (%d bytes, %d tokens)\n", textPath, len(text), len(tokens))
	fmt.Fprintf(out, "windows     %d of up to %d tokens, %d predictions\n", len(res.WindowNLL), ctxLen, res.Predictions)
	fmt.Fprintf(out, "nll         %.6f nats/token\n", res.NLL/float64(res.Predictions))
	fmt.Fprintf(out, "perplexity  %.6f\n", res.PPL())
	fmt.Fprintf(out, "speed       %.0f tokens/s (%.2fs)\n", float64(len(tokens))/elapsed.Seconds(), elapsed.Seconds())
	if math.IsNaN(res.PPL()) || math.IsInf(res.PPL(), 0) {
		return fmt.Errorf("perplexity is not finite: the model produced non-finite logits")
	}
	return nil
}
