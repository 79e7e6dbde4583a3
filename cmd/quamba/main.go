// Command quamba loads Mamba and Mamba2 checkpoints, runs them on the CPU and
// measures them: perplexity, text generation, speed, and checkpoint
// inspection.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/kernels"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := newApp().RunContext(ctx, os.Args); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "quamba: interrupted")
		} else {
			fmt.Fprintln(os.Stderr, "quamba:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is the exit status for an error of the app: 130 when
// interrupted, 2 for a usage error, 1 otherwise.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		return 130
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// usageError is a mistake in the command line (an unknown command or flag,
// arguments where none are taken): main prints it on one line and exits
// with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func newApp() *cli.App {
	app := &cli.App{
		Name:  "quamba",
		Usage: "post-training quantization and CPU inference for Mamba and Mamba2 language models",
		Description: "Without --model, commands use the bundled byte-level Mamba1 model trained on Tiny Shakespeare\n" +
			"(testdata/mamba1-shakespeare in the source tree).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "version", Usage: "print the version, the Go version and the kernel tier"},
		},
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
		HideVersion:     true,
		// main reports errors and picks the exit status; the default
		// handler would call os.Exit from inside the library.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("unknown command %q; run 'quamba --help' for the list", c.Args().First())
			}
			if c.Bool("version") {
				printVersion(c.App.Writer)
				return nil
			}
			return cli.ShowAppHelp(c)
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsageError
		if cmd.ArgsUsage == "" {
			cmd.Action = noArgs(cmd.Name, cmd.Action)
		}
	}
	return app
}

// onUsageError turns a flag parsing error into a one-line usage error.
func onUsageError(c *cli.Context, err error, isSubcommand bool) error {
	if isSubcommand {
		return usageErrorf("%s: %v; run 'quamba %s --help' for its flags", c.Command.Name, err, c.Command.Name)
	}
	return usageErrorf("%v; run 'quamba --help' for the usage", err)
}

// noArgs makes a command that takes no positional arguments refuse them.
func noArgs(name string, action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Args().Present() {
			return usageErrorf("%s takes no arguments, got %q",
				name, strings.Join(c.Args().Slice(), " "))
		}
		return action(c)
	}
}

// printVersion writes the module version, the VCS revision when the binary
// was built from a checkout, the Go version and the active kernel tier.
func printVersion(w io.Writer) {
	version, revision, modified := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" {
			version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	fmt.Fprintf(w, "quamba %s\n", version)
	if revision != "" {
		if modified {
			revision += " (modified)"
		}
		fmt.Fprintf(w, "commit %s\n", revision)
	}
	fmt.Fprintf(w, "go %s %s/%s\n", goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	fmt.Fprintf(w, "kernels %s\n", kernels.Active())
}
