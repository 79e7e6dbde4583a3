// Command edge is a self-contained text generator: one quamba artifact
// embedded in the executable with go:embed and run from memory on the int8
// runtime (runtime.Load), with no file-system access and no cgo, so the
// binary can be copied alone to a small Linux board.
//
// It takes the generation flags of `quamba generate` and prints the prompt
// followed by the continuation as it is generated:
//
//	edge --prompt "ROMEO:" [--max-tokens N --temperature T --top-k K --seed S] [--stats]
//	echo "ROMEO:" | edge        # the prompt is standard input when --prompt is not given
//	edge --version              # the embedded model, its scheme and architecture
//
// Build it with `quamba build-edge --model FILE.gguf --out BIN [--goos linux
// --goarch arm64]`, which copies this directory and the artifact into a
// temporary package of the module and builds it with the quamba_embed tag.
// By hand: copy the artifact to examples/edge/model.gguf (and the model's
// tokenizer.json, if it has one, to examples/edge/tokenizer.json) and run
//
//	CGO_ENABLED=0 go build -tags quamba_embed[,quamba_tokenizer] -o edge ./examples/edge
//
// Without the tag the program builds with no model and says so when run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/generate"
	"github.com/quamba/quamba/runtime"
)

// The embedded files, set by embed_model.go and embed_tokenizer.go when
// built with their tags.
var (
	artifact      []byte // the quamba .gguf artifact
	tokenizerJSON []byte // the model's tokenizer.json, or empty
)

// artifactName names the embedded artifact in messages.
const artifactName = "embedded model.gguf"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "edge: interrupted")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "edge:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	start := time.Now()
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p generate.Params
	prompt := fs.String("prompt", "", "text to continue (default: standard input)")
	fs.IntVar(&p.MaxTokens, "max-tokens", 200, "number of tokens to generate")
	fs.Float64Var(&p.Temperature, "temperature", 0.8, "sampling temperature; 0 is greedy")
	fs.IntVar(&p.TopK, "top-k", 40, "sample among the k most likely tokens; 0 for all")
	fs.Uint64Var(&p.Seed, "seed", 1, "random seed")
	version := fs.Bool("version", false, "print the embedded model and its scheme, and exit")
	stats := fs.Bool("stats", false, "print load, prefill and decode times to stderr")
	verify := fs.Bool("verify", false, "verify the embedded artifact's checksum before running it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(artifact) == 0 {
		return errors.New("no model is embedded in this binary; build it with `quamba build-edge --model FILE.gguf --out BIN`")
	}
	if *version {
		return printVersion(stdout)
	}
	if err := p.Validate(0); err != nil {
		return err
	}
	promptSet := false
	fs.Visit(func(f *flag.Flag) { promptSet = promptSet || f.Name == "prompt" })
	text := *prompt
	if !promptSet {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("reading the prompt from standard input: %w", err)
		}
		text = string(b)
	}

	m, err := runtime.Load(artifactName, artifact, runtime.Options{SkipChecksum: !*verify})
	if err != nil {
		return err
	}
	defer m.Close()
	tok, err := generate.Tokenizer(m.Config(), tokenizerJSON, "embedded tokenizer.json")
	if err != nil {
		return err
	}
	ids := tok.Encode(text)
	if len(ids) == 0 {
		return errors.New("the prompt is empty")
	}
	loaded := time.Since(start)
	if _, err := io.WriteString(stdout, text); err != nil {
		return err
	}
	st, err := generate.Stream(ctx, m, tok, ids, p, func(s string) error {
		_, err := io.WriteString(stdout, s)
		return err
	})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(stdout, "\n"); err != nil {
		return err
	}
	if *stats {
		fmt.Fprintf(stderr, "load %v; %v; first token %v after start\n",
			loaded.Round(time.Microsecond), st, (loaded + st.FirstToken).Round(time.Microsecond))
	}
	return nil
}

// printVersion prints the embedded artifact's model, scheme and shape from
// its metadata.
func printVersion(w io.Writer) error {
	g, err := formats.ParseGGUF(artifactName, artifact, formats.GGUFOptions{SkipChecksum: true})
	if err != nil {
		return err
	}
	defer g.Close()
	name, _ := g.String("general.name")
	scheme, err := g.String("quamba.scheme")
	if err != nil {
		return fmt.Errorf("%s: %w", artifactName, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "model   %s\n", name)
	fmt.Fprintf(&b, "scheme  %s\n", scheme)
	if opts, err := g.String("quamba.options"); err == nil {
		fmt.Fprintf(&b, "options %s\n", opts)
	}
	if tool, err := g.String("quamba.tool_version"); err == nil {
		fmt.Fprintf(&b, "built   %s\n", tool)
	}
	if cj, err := g.String("quamba.config_json"); err == nil {
		if cfg, err := formats.ParseConfig([]byte(cj), artifactName); err == nil {
			fmt.Fprintf(&b, "arch    %s, d_model %d, %d layers, vocabulary %d\n", cfg.Arch, cfg.DModel, cfg.NLayer, cfg.VocabSize)
		}
	}
	fmt.Fprintf(&b, "size    %d bytes\n", len(artifact))
	_, err = io.WriteString(w, b.String())
	return err
}
