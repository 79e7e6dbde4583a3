package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/tokenizer"
)

// TestServeSIGTERM runs `quamba serve` as a process: a streaming request
// started before SIGTERM runs to its end, then the server exits cleanly.
func TestServeSIGTERM(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	dir := t.TempDir()
	art := filepath.Join(dir, "m.gguf")
	if log, err := run(t, "quantize", "--model", modelPath(t, "mamba1-shakespeare"), "--scheme", "w8a8",
		"--samples", "16", "--seqlen", "256", "--out", art, "--no-eval", "--quiet"); err != nil {
		t.Fatalf("quantize: %v\n%s", err, log)
	}
	bin := filepath.Join(dir, "quamba")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--model", art, "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("serve printed nothing: %s", stderr.String())
	}
	m := regexp.MustCompile(`on (http://\S+):`).FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("no address in %q", lines.Text())
	}
	url := m[1]
	// The rest of the output, read to EOF before Wait closes the pipe.
	output := make(chan string, 1)
	go func() {
		var out strings.Builder
		for lines.Scan() {
			out.WriteString(lines.Text() + "\n")
		}
		output <- out.String()
	}()

	const n = 2000
	body := `{"prompt": "ROMEO:", "max_tokens": 2000, "temperature": 0, "stream": true}`
	resp, err := http.Post(url+"/v1/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	first, err := events.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "data: ") {
		t.Fatalf("first event %q: %v", first, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(events)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	done := false
	for line := range strings.SplitSeq(first+string(rest), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		switch {
		case !ok:
		case data == "[DONE]":
			done = true
		default:
			var c struct {
				Choices []struct{ Text string }
			}
			if err := json.Unmarshal([]byte(data), &c); err != nil || len(c.Choices) != 1 {
				t.Fatalf("event %q: %v", data, err)
			}
			text.WriteString(c.Choices[0].Text)
		}
	}
	rt, err := runtime.Open(art, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	V, P := rt.Vocab()
	want, err := model.Greedy(rt.NewSession(), V, P, tokenizer.Bytes().Encode("ROMEO:"), n)
	if err != nil {
		t.Fatal(err)
	}
	if !done || text.String() != tokenizer.Bytes().Decode(want) {
		t.Errorf("stream across SIGTERM (done %v):\n got %q\nwant %q", done, text.String(), tokenizer.Bytes().Decode(want))
	}
	var out string
	select {
	case out = <-output:
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve exited with %v: %s", err, stderr.String())
	}
	if !strings.Contains(out, "shutting down") || !strings.Contains(out, "stopped") {
		t.Errorf("serve output after SIGTERM:\n%s", out)
	}
}

func TestServeErrors(t *testing.T) {
	if _, err := run(t, "serve", "--model", modelPath(t, "mamba1-shakespeare")); err == nil || !strings.Contains(err.Error(), ".gguf") {
		t.Errorf("serve of a model directory: %v", err)
	}
}
