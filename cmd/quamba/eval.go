package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	goruntime "runtime"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/kernels"
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
			jsonFlag,
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
	r := evalResult{Model: dir, Weights: l.weights, Kind: l.kind, Scheme: l.scheme, Tier: kernels.Active().String(),
		Threads: goruntime.GOMAXPROCS(0), Text: textPath, Bytes: len(text), Tokens: len(tokens), Ctx: ctxLen,
		Windows: len(res.WindowNLL), Predictions: res.Predictions, NLL: res.NLL / float64(res.Predictions),
		Perplexity: res.PPL(), TokensPerS: float64(len(tokens)) / elapsed.Seconds(), Seconds: elapsed.Seconds()}
	finite := !math.IsNaN(r.Perplexity) && !math.IsInf(r.Perplexity, 0)
	if finite && c.Bool(jsonFlag.Name) {
		return json.NewEncoder(c.App.Writer).Encode(r)
	}
	if !c.Bool(jsonFlag.Name) {
		printEval(c.App.Writer, r)
	}
	if !finite {
		return fmt.Errorf("%s: perplexity is not finite: the model produced non-finite logits", inputName(textPath))
	}
	return nil
}

// evalResult is what eval measures; --json prints it.
type evalResult struct {
	Model   string `json:"model"`
	Weights string `json:"weights"`
	// Kind is what ran the model: fp32 (the FP32 engine), runtime (the
	// int8 runtime) or simulation (an artifact's float32 simulation).
	Kind    string `json:"kind"`
	Scheme  string `json:"scheme"`
	Tier    string `json:"tier"`
	Threads int    `json:"threads"`

	Text        string  `json:"text"` // the path, - for the standard input
	Bytes       int     `json:"bytes"`
	Tokens      int     `json:"tokens"`
	Ctx         int     `json:"ctx"`
	Windows     int     `json:"windows"`
	Predictions int     `json:"predictions"`
	NLL         float64 `json:"nll"` // nats per predicted token
	Perplexity  float64 `json:"perplexity"`
	TokensPerS  float64 `json:"tokens_per_s"`
	Seconds     float64 `json:"seconds"`
}

func printEval(out io.Writer, r evalResult) {
	fmt.Fprintf(out, "model       %s (%s)\n", r.Model, r.Kind)
	fmt.Fprintf(out, "scheme      %s\n", r.Scheme)
	fmt.Fprintf(out, "text        %s (%d bytes, %d tokens)\n", inputName(r.Text), r.Bytes, r.Tokens)
	fmt.Fprintf(out, "windows     %d of up to %d tokens, %d predictions\n", r.Windows, r.Ctx, r.Predictions)
	fmt.Fprintf(out, "nll         %.6f nats/token\n", r.NLL)
	fmt.Fprintf(out, "perplexity  %.6f\n", r.Perplexity)
	fmt.Fprintf(out, "speed       %.0f tokens/s (%.2fs, %d threads, kernels %s)\n", r.TokensPerS, r.Seconds, r.Threads, r.Tier)
}
