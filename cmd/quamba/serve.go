package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/server"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve an artifact over HTTP: OpenAI-style /v1/completions (batched decode), /health, /metrics",
		Description: "Concurrent requests are decoded together, one batched step per token (package server).\n" +
			"SIGTERM or SIGINT stops accepting requests, lets in-flight ones finish (up to --shutdown-timeout) and exits.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Required: true, Usage: "quantized .gguf artifact (its tokenizer.json, if any, beside it)"},
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address"},
			&cli.StringFlag{Name: "name", Usage: "model name in responses (default: the artifact's file name without .gguf)"},
			&cli.IntFlag{Name: "max-batch", Value: 16, Usage: "sequences decoded together"},
			&cli.IntFlag{Name: "max-queue", Value: 64, Usage: "requests that may wait for a slot; more get 429 (0: none wait)"},
			&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "per-request time limit"},
			&cli.IntFlag{Name: "max-tokens", Value: 2048, Usage: "largest max_tokens a request may ask"},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: 30 * time.Second, Usage: "how long in-flight requests may run after SIGTERM"},
			noVerifyFlag,
			threadsFlag,
		},
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if err := setThreads(c); err != nil {
		return err
	}
	path := c.String("model")
	if !quant.IsArtifact(path) {
		return fmt.Errorf("--model %s: serve runs a quantized .gguf artifact on the int8 runtime (quamba quantize writes one)", path)
	}
	if c.Int("max-batch") < 1 || c.Int("max-queue") < 0 || c.Int("max-tokens") < 1 || c.Duration("timeout") <= 0 {
		return errors.New("--max-batch, --max-tokens and --timeout must be positive and --max-queue at least 0")
	}
	rt, err := runtime.Open(path, runtime.Options{SkipChecksum: c.Bool(noVerifyFlag.Name)})
	if err != nil {
		return err
	}
	defer rt.Close()
	tok, tokDesc, err := tokenizerFor(filepath.Dir(path), rt.Config())
	if err != nil {
		return err
	}
	logf(c, "loaded weights %s (%s), tokenizer %s", path, engineName("runtime", string(rt.Info().Options.Scheme)), tokDesc)
	name := c.String("name")
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	queue := c.Int("max-queue")
	if queue == 0 {
		queue = -1 // server.Config: negative is no queue
	}
	srv, err := server.New(rt, tok, server.Config{
		Name: name, MaxBatch: c.Int("max-batch"), MaxQueue: queue,
		Timeout: c.Duration("timeout"), MaxTokens: c.Int("max-tokens"),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(c.App.Writer, "serving %s (%s) on http://%s: POST /v1/completions, GET /health, GET /metrics\n",
		name, rt.Info().Options.Scheme, ln.Addr())

	// main's context ends on SIGINT; SIGTERM ends this one too.
	sig, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	select {
	case err := <-served:
		srv.Shutdown(context.Background())
		return err
	case <-sig.Done():
	case <-c.Context.Done():
	}
	fmt.Fprintf(c.App.Writer, "shutting down: finishing in-flight requests (up to %v)\n", c.Duration("shutdown-timeout"))
	ctx, cancel := context.WithTimeout(context.Background(), c.Duration("shutdown-timeout"))
	defer cancel()
	srv.BeginShutdown() // /health turns 503 and new completions are refused while the listener drains
	err = hs.Shutdown(ctx)
	if serr := srv.Shutdown(ctx); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	fmt.Fprintln(c.App.Writer, "stopped")
	return nil
}
