// Command quamba loads Mamba and Mamba2 checkpoints, runs them on the CPU and
// measures them: perplexity, text generation, speed, and checkpoint
// inspection.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := newApp().RunContext(ctx, os.Args); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "quamba: interrupted")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "quamba:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "quamba",
		Usage: "post-training quantization and CPU inference for Mamba and Mamba2 language models",
		Description: "Without --model, commands use the bundled byte-level Mamba1 model trained on Tiny Shakespeare\n" +
			"(testdata/mamba1-shakespeare in the source tree).",
		Commands: []*cli.Command{
			evalCommand(),
			generateCommand(),
			benchCommand(),
			inspectCommand(),
			initCommand(),
			quantizeCommand(),
			reportCommand(),
			buildEdgeCommand(),
			serveCommand(),
		},
		HideHelpCommand: true,
	}
}
