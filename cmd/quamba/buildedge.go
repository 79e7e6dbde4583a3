package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/runtime"
)

// edgeSource is the edge program's directory in the source tree: build-edge
// compiles that source, so there is one copy of it.
const edgeSource = "examples/edge"

func buildEdgeCommand() *cli.Command {
	return &cli.Command{
		Name:  "build-edge",
		Usage: "build a self-contained generator binary with an artifact embedded (examples/edge)",
		Description: "Copies examples/edge and the artifact (and a tokenizer.json beside it) into a temporary package of the\n" +
			"quamba source tree and runs `go build` with CGO_ENABLED=0 for --goos/--goarch. It needs the Go toolchain\n" +
			"and the quamba source tree (found by walking up from the working directory or the executable).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Required: true, Usage: "quantized .gguf artifact to embed"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Required: true, Usage: "path of the binary to write"},
			&cli.StringFlag{Name: "goos", Value: goruntime.GOOS, Usage: "target operating system"},
			&cli.StringFlag{Name: "goarch", Value: goruntime.GOARCH, Usage: "target architecture (amd64, arm64, ...)"},
			&cli.StringFlag{Name: "tokenizer", Usage: "tokenizer.json to embed (default: the one beside the artifact, if any; else bytes or GPT-NeoX-20B by vocabulary)"},
			noVerifyFlag,
		},
		Action: runBuildEdge,
	}
}

func runBuildEdge(c *cli.Context) error {
	art := c.String("model")
	if !quant.IsArtifact(art) {
		return fmt.Errorf("--model %s: build-edge embeds a quantized .gguf artifact (quamba quantize writes one)", art)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return errors.New("build-edge needs the Go toolchain: no `go` command in PATH (install Go 1.26 from https://go.dev/dl/)")
	}
	root, err := sourceRoot()
	if err != nil {
		return fmt.Errorf("build-edge compiles %s of the quamba source: %w", edgeSource, err)
	}
	// Load the artifact once so that a file the runtime refuses fails here,
	// not on the device.
	m, err := runtime.Open(art, runtime.Options{SkipChecksum: c.Bool(noVerifyFlag.Name)})
	if err != nil {
		return err
	}
	info := m.Info()
	m.Close()
	tokPath := c.String("tokenizer")
	if tokPath == "" {
		if p := filepath.Join(filepath.Dir(art), "tokenizer.json"); fileExists(p) {
			tokPath = p
		}
	}
	out, err := filepath.Abs(c.String("out"))
	if err != nil {
		return err
	}

	// The package lives inside the module (so it builds against this
	// source with no go.mod of its own) under a name that ./... skips.
	dir, err := os.MkdirTemp(root, "_build-edge-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srcs, err := filepath.Glob(filepath.Join(root, edgeSource, "*.go"))
	if err != nil {
		return err
	}
	n := 0
	for _, src := range srcs {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		if err := copyFile(src, filepath.Join(dir, filepath.Base(src))); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no Go files in %s", filepath.Join(root, edgeSource))
	}
	if err := linkOrCopy(art, filepath.Join(dir, "model.gguf")); err != nil {
		return err
	}
	tags := "quamba_embed"
	if tokPath != "" {
		if err := copyFile(tokPath, filepath.Join(dir, "tokenizer.json")); err != nil {
			return err
		}
		tags += ",quamba_tokenizer"
	}

	goos, goarch := c.String("goos"), c.String("goarch")
	cmd := exec.CommandContext(c.Context, goTool, "build", "-trimpath", "-tags", tags, "-ldflags", "-s -w",
		"-o", out, "./"+filepath.Base(dir))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w\n%s", goos, goarch, err, strings.TrimSpace(stderr.String()))
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "wrote %s (%s/%s, %.1f MB, built in %v)\n", c.String("out"), goos, goarch,
		float64(st.Size())/1e6, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(w, "embedded %s (%s, %.1f MB)", art, info.Options.Scheme, float64(fileSize(art))/1e6)
	if tokPath != "" {
		fmt.Fprintf(w, " and %s", tokPath)
	}
	fmt.Fprintln(w)
	return nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// linkOrCopy hard-links src to dst (artifacts are large), copying when the
// file system refuses.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	return copyFile(src, dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
