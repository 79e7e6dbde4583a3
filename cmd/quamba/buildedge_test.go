package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"
)

// TestBuildEdge quantizes the bundled model, builds the edge program with
// the artifact embedded for linux/amd64 and linux/arm64, and runs each
// (natively, or under qemu-user): greedy output equals `quamba generate`.
func TestBuildEdge(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	dir := t.TempDir()
	art := filepath.Join(dir, "m.gguf")
	if log, err := run(t, "quantize", "--model", modelPath(t, "mamba1-shakespeare"), "--scheme", "w8a8",
		"--samples", "16", "--seqlen", "256", "--out", art, "--no-eval", "--quiet"); err != nil {
		t.Fatalf("quantize: %v\n%s", err, log)
	}
	gen := []string{"--prompt", "ROMEO:", "--temperature", "0", "--max-tokens", "64"}
	want, log, err := runIO(t, "", append([]string{"generate", "--model", art}, gen...)...)
	if err != nil {
		t.Fatalf("generate: %v\n%s%s", err, want, log)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			var prefix []string // how to run a linux/arch binary here
			if goruntime.GOOS != "linux" || goruntime.GOARCH != arch {
				emu := map[string]string{"amd64": "qemu-x86_64", "arm64": "qemu-aarch64"}[arch]
				p, err := exec.LookPath(emu)
				if err != nil {
					t.Skipf("cannot run linux/%s binaries here: %s not installed (apt-get install -y qemu-user)", arch, emu)
				}
				prefix = []string{p}
			}
			bin := filepath.Join(dir, "edge-"+arch)
			log, err := run(t, "build-edge", "--model", art, "--out", bin, "--goos", "linux", "--goarch", arch)
			if err != nil {
				t.Fatalf("build-edge: %v\n%s", err, log)
			}
			st, err := os.Stat(bin)
			if err != nil {
				t.Fatal(err)
			}
			exe := func(stdin string, args ...string) (string, string) {
				t.Helper()
				cmd := exec.Command(append(prefix, bin)[0], append(append(prefix, bin)[1:], args...)...)
				cmd.Dir = t.TempDir() // nothing to find there
				cmd.Stdin = strings.NewReader(stdin)
				var out, errOut bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errOut
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s %v: %v\n%s", bin, args, err, errOut.String())
				}
				return out.String(), errOut.String()
			}
			start := time.Now()
			got, stats := exe("", append(gen, "--stats")...)
			wall := time.Since(start)
			if got != want {
				t.Errorf("edge binary (linux/%s)\n got %q\nwant %q (quamba generate)", arch, got, want)
			}
			if got, _ := exe("ROMEO:", gen[2:]...); got != want {
				t.Errorf("prompt from stdin\n got %q\nwant %q", got, want)
			}
			if v, _ := exe("", "--version"); !strings.Contains(v, "scheme  w8a8") || !strings.Contains(v, "mamba1") {
				t.Errorf("--version:\n%s", v)
			}
			t.Logf("linux/%s: binary %.2f MB; run of 64 tokens %v wall; %s", arch, float64(st.Size())/1e6,
				wall.Round(time.Millisecond), strings.TrimSpace(stats))
		})
	}
}

func TestBuildEdgeErrors(t *testing.T) {
	if _, err := run(t, "build-edge", "--model", "testdata/mamba1-shakespeare", "--out", filepath.Join(t.TempDir(), "x")); err == nil ||
		!strings.Contains(err.Error(), ".gguf") {
		t.Errorf("a model directory: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err := run(t, "build-edge", "--model", "m.gguf", "--out", filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(err.Error(), "Go toolchain") {
		t.Errorf("no go command: %v", err)
	}
}
