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
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/kernels"
)

func main() {
	// SIGINT and SIGTERM cancel the command's context: the long steps stop
	// at their next check and clean up (quantize leaves no partial
	// artifact) instead of the process dying mid-write.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() { cancel(signalError{<-sigs}) }()
	app := newApp()
	err := app.RunContext(ctx, withFlagsFirst(app, os.Args))
	if err == nil {
		return
	}
	code := exitCode(err)
	if errors.Is(err, context.Canceled) {
		what := "interrupted"
		var sig signalError
		if errors.As(context.Cause(ctx), &sig) {
			what += " by " + sig.Error()
			if s, ok := sig.sig.(syscall.Signal); ok {
				code = 128 + int(s)
			}
		}
		if msg := strings.TrimSuffix(err.Error(), context.Canceled.Error()); msg != "" {
			what += ": " + strings.TrimSuffix(msg, ": ")
		}
		fmt.Fprintln(os.Stderr, "quamba:", what)
	} else {
		fmt.Fprintln(os.Stderr, "quamba:", err)
	}
	os.Exit(code)
}

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string {
	switch e.sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return e.sig.String()
}

// exitCode is the exit status for an error of the app: 130 when
// interrupted (main makes it 128 + the signal's number), 2 for a usage
// error, 1 otherwise.
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
	var procs int
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
			completionCommand(),
			helpCommand(),
		},
		// Shells ask for candidates with --generate-bash-completion (the
		// scripts of quamba completion).
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		HideVersion:          true,
		// main reports errors and picks the exit status; the default
		// handler would call os.Exit from inside the library.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		// --threads sets GOMAXPROCS for one command: put it back after.
		Before: func(*cli.Context) error { procs = goruntime.GOMAXPROCS(0); return nil },
		After:  func(*cli.Context) error { goruntime.GOMAXPROCS(procs); return nil },
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
		cmd.Action = checkRequired(cmd)
		if cmd.ArgsUsage == "" {
			cmd.Action = noArgs(cmd.Name, cmd.Action)
		}
	}
	return app
}

// checkRequired checks the command's required flags itself, so that a
// missing one is a one-line usage error (the library prints the whole help
// and exits 1).
func checkRequired(cmd *cli.Command) cli.ActionFunc {
	var required []string
	for _, f := range cmd.Flags {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Required {
			sf.Required = false
			if !strings.HasSuffix(sf.Usage, " (required)") {
				sf.Usage += " (required)"
			}
			required = append(required, sf.Name)
		}
	}
	action := cmd.Action
	return func(c *cli.Context) error {
		for _, name := range required {
			if !c.IsSet(name) {
				return usageErrorf("%s needs --%s; run 'quamba %s --help' for its flags", cmd.Name, name, cmd.Name)
			}
		}
		return action(c)
	}
}

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

// withFlagsFirst moves the flags of a command line before its positional
// arguments, so that flags are accepted after them ("quamba inspect DIR
// --json"): the flag parser stops at the first positional argument.
// Arguments after "--" stay positional, and a command line that asks for
// shell completion is left as it is.
func withFlagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 || args[len(args)-1] == "--"+cli.BashCompletionFlag.Names()[0] {
		return args
	}
	i := 1
	for i < len(args) && len(args[i]) > 1 && args[i][0] == '-' { // the app's own flags, all boolean
		if args[i] == "--" {
			return args
		}
		i++
	}
	if i == len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	out := append([]string(nil), args[:i+1]...)
	var positional []string
	for i++; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			out = append(out, a)
			if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") && takesValue[name] && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		default:
			positional = append(positional, a)
		}
	}
	// With --help the library takes a positional argument for the name of
	// a subcommand: drop them, the help is the command's.
	if len(positional) > 0 && !slices.ContainsFunc(out[2:], isHelpFlag) {
		out = append(append(out, "--"), positional...)
	}
	return out
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
