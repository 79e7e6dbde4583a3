package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A quantize run stopped by SIGINT or SIGTERM once it is under way exits
// with 128 + the signal's number and a message, and leaves no artifact nor
// temporary file; an artifact it was to overwrite (--force) is kept as it
// was.
func TestQuantizeInterrupted(t *testing.T) {
	if goruntime.GOOS == "windows" {
		t.Skip("no SIGINT/SIGTERM to send on windows")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "quamba")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	m1, err := filepath.Abs(modelPath(t, "mamba1-shakespeare"))
	if err != nil {
		t.Fatal(err)
	}
	calibText, err := filepath.Abs(filepath.Join("..", "..", "testdata", "shakespeare-calib.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sig   syscall.Signal
		name  string
		force bool
	}{{syscall.SIGINT, "SIGINT", false}, {syscall.SIGTERM, "SIGTERM", true}} {
		t.Run(tc.name, func(t *testing.T) {
			outDir := t.TempDir()
			out := filepath.Join(outDir, "m.gguf")
			old := []byte("the artifact of an earlier run")
			args := []string{"quantize", "--model", m1, "--calib", calibText, "--allow-fewer", "--no-eval", "--out", out}
			if tc.force {
				if err := os.WriteFile(out, old, 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--force")
			}
			cmd := exec.Command(bin, args...)
			cmd.Dir = t.TempDir()
			pipe, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal once the first compile stage has begun.
			var mu sync.Mutex
			var stderr bytes.Buffer
			started, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				sc := bufio.NewScanner(pipe)
				once := sync.Once{}
				for sc.Scan() {
					mu.Lock()
					stderr.WriteString(sc.Text() + "\n")
					mu.Unlock()
					if strings.HasSuffix(sc.Text(), " ...") && !strings.HasPrefix(sc.Text(), "loading") {
						once.Do(func() { close(started) })
					}
				}
			}()
			select {
			case <-started:
			case <-time.After(2 * time.Minute):
				cmd.Process.Kill()
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("no compile stage started:\n%s", stderr.String())
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			<-done
			err = cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 128+int(tc.sig) {
				t.Errorf("exit %v, want status %d", err, 128+int(tc.sig))
			}
			msg := stderr.String()
			if want := "quamba: interrupted by " + tc.name + ": " + out + " not written"; !strings.Contains(msg, want) {
				t.Errorf("stderr lacks %q:\n%s", want, msg)
			}
			entries, err := os.ReadDir(outDir)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, e := range entries {
				left = append(left, e.Name())
			}
			want := "[]"
			if tc.force {
				want = "[m.gguf]"
			}
			if got := "[" + strings.Join(left, " ") + "]"; got != want {
				t.Errorf("output directory holds %s after the interruption, want %s", got, want)
			}
			if tc.force {
				if data, err := os.ReadFile(out); err != nil || !bytes.Equal(data, old) {
					t.Errorf("the artifact to overwrite was changed (%v)", err)
				}
			}
		})
	}
}
