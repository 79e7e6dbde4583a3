package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/tokenizer"
)

// rt is the bundled Mamba1 model compiled to W8A8 (small calibration), on
// the int8 runtime, shared by every test.
var rt *runtime.Model

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quamba-server-test-")
	if err != nil {
		panic(err)
	}
	path, err := compileArtifact(dir)
	if err == nil {
		rt, err = runtime.Open(path, runtime.Options{})
	}
	if err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	rt.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func compileArtifact(dir string) (string, error) {
	files, err := formats.OpenModel(filepath.Join("..", "testdata", "mamba1-shakespeare"))
	if err != nil {
		return "", err
	}
	defer files.Close()
	w, err := model.NewWeights(files.Config, files)
	if err != nil {
		return "", err
	}
	ds, err := calib.LoadData(calib.DataConfig{Files: []string{filepath.Join("..", "testdata", "shakespeare-calib.txt")},
		Tokenizer: tokenizer.Bytes(), Samples: 16, SeqLen: 256, Seed: 1})
	if err != nil {
		return "", err
	}
	opt, err := quant.DefaultOptions(quant.W8A8)
	if err != nil {
		return "", err
	}
	c, err := quant.Compile(context.Background(), w, ds, opt, quant.CompileOptions{})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "m.gguf")
	return path, quant.WriteArtifact(path, c, "mamba1-shakespeare")
}

var tok = tokenizer.Bytes()

// greedy is the sequential reference: model.Greedy on a fresh session.
func greedy(t testing.TB, prompt string, n int) string {
	t.Helper()
	V, P := rt.Vocab()
	ids, err := model.Greedy(rt.NewSession(), V, P, tok.Encode(prompt), n)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Decode(ids)
}

func newServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(rt, tok, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, hs
}

type result struct {
	status int
	text   string
	reason string
	usage  usage
	errMsg string
	done   bool // streaming: data: [DONE] seen
}

// complete posts a completion request and reads the answer, streamed or
// not.
func complete(ctx context.Context, client *http.Client, url string, body map[string]any) (result, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/completions", bytes.NewReader(b))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	res := result{status: resp.StatusCode}
	if stream, _ := body["stream"].(bool); !stream || resp.StatusCode != http.StatusOK {
		var c struct {
			completion
			apiError
		}
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			return res, err
		}
		res.errMsg = c.Error.Message
		if len(c.Choices) == 1 {
			res.text = c.Choices[0].Text
			if c.Choices[0].FinishReason != nil {
				res.reason = *c.Choices[0].FinishReason
			}
		}
		if c.Usage != nil {
			res.usage = *c.Usage
		}
		return res, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		return res, fmt.Errorf("content type %q", ct)
	}
	return res, readStream(resp.Body, &res, nil)
}

// readStream parses server-sent events into res; first, when not nil, is
// called after the first text chunk.
func readStream(r io.Reader, res *result, first func()) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			return fmt.Errorf("line %q is not a data line", line)
		}
		if res.done {
			return fmt.Errorf("data after [DONE]: %q", line)
		}
		if data == "[DONE]" {
			res.done = true
			continue
		}
		var c struct {
			completion
			apiError
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return fmt.Errorf("event %q: %v", data, err)
		}
		if c.Error.Message != "" {
			res.errMsg = c.Error.Message
			continue
		}
		if len(c.Choices) != 1 || c.Object != "text_completion" {
			return fmt.Errorf("event %q", data)
		}
		res.text += c.Choices[0].Text
		if c.Choices[0].FinishReason != nil {
			res.reason = *c.Choices[0].FinishReason
		}
		if first != nil {
			first()
			first = nil
		}
	}
	return sc.Err()
}

var prompts = []string{"ROMEO:\n", "JULIET:\nO ", "First Citizen:\n", "KING HENRY", "To be, or not", "HAMLET:\nWhat ",
	"MENENIUS:\n", "The ", "O, ", "CORIOLANUS:\nI", "Second Servingman:\n", "What is ", "LADY", "Go", "\n", "BRUTUS:\n"}

func TestCompletionsMatchSequentialGreedy(t *testing.T) {
	_, hs := newServer(t, Config{})
	const n = 48
	for _, stream := range []bool{false, true} {
		for _, p := range prompts[:4] {
			want := greedy(t, p, n)
			res, err := complete(context.Background(), hs.Client(), hs.URL,
				map[string]any{"prompt": p, "max_tokens": n, "temperature": 0, "stream": stream})
			if err != nil {
				t.Fatal(err)
			}
			if res.status != http.StatusOK || res.text != want || res.reason != "length" {
				t.Errorf("stream=%v %q: status %d, reason %q, text\n %q\nwant %q", stream, p, res.status, res.reason, res.text, want)
			}
			if stream && !res.done {
				t.Errorf("stream %q: no data: [DONE]", p)
			}
			if !stream && (res.usage.PromptTokens != len(p) || res.usage.CompletionTokens != n || res.usage.TotalTokens != len(p)+n) {
				t.Errorf("usage %+v", res.usage)
			}
		}
	}
}

// Sampling with a seed is reproducible and a seed changes it.
func TestSeededSampling(t *testing.T) {
	_, hs := newServer(t, Config{})
	body := map[string]any{"prompt": "ROMEO:", "max_tokens": 40, "temperature": 0.9, "top_k": 20, "seed": 7}
	a, err := complete(context.Background(), hs.Client(), hs.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := complete(context.Background(), hs.Client(), hs.URL, body)
	body["seed"] = 8
	c, _ := complete(context.Background(), hs.Client(), hs.URL, body)
	if a.status != 200 || a.text != b.text || a.text == c.text {
		t.Errorf("seed 7 twice %q / %q, seed 8 %q", a.text, b.text, c.text)
	}
}

func TestConcurrentClients(t *testing.T) {
	_, hs := newServer(t, Config{MaxBatch: 8})
	const n = 40
	want := make([]string, len(prompts))
	for i, p := range prompts {
		want[i] = greedy(t, p, n)
	}
	var wg sync.WaitGroup
	got := make([]result, len(prompts))
	errs := make([]error, len(prompts))
	for i, p := range prompts {
		wg.Go(func() {
			got[i], errs[i] = complete(context.Background(), hs.Client(), hs.URL,
				map[string]any{"prompt": p, "max_tokens": n, "temperature": 0, "stream": i%2 == 0})
		})
	}
	wg.Wait()
	for i := range prompts {
		if errs[i] != nil {
			t.Errorf("client %d: %v", i, errs[i])
		} else if got[i].status != 200 || got[i].text != want[i] {
			t.Errorf("client %d %q: status %d\n got %q\nwant %q", i, prompts[i], got[i].status, got[i].text, want[i])
		}
	}
}

func TestBadRequests(t *testing.T) {
	_, hs := newServer(t, Config{MaxTokens: 100})
	for _, tc := range []struct{ body, want string }{
		{`{"prompt": "a"`, "JSON"},
		{`{"prompt": 3}`, "JSON"},
		{`not json`, "JSON"},
		{`{"prompt": "a"} {}`, "more than one"},
		{`{}`, "prompt"},
		{`{"prompt": ""}`, "prompt"},
		{`{"prompt": "a", "max_tokens": 0}`, "max_tokens"},
		{`{"prompt": "a", "max_tokens": -3}`, "max_tokens"},
		{`{"prompt": "a", "max_tokens": 101}`, "max_tokens"},
		{`{"prompt": "a", "temperature": -0.5}`, "temperature"},
		{`{"prompt": "a", "temperature": NaN}`, "JSON"},
		{`{"prompt": "a", "top_k": -1}`, "top-k"},
		{`{"prompt": "a", "top_k": 257}`, "top-k"},
	} {
		resp, err := hs.Client().Post(hs.URL+"/v1/completions", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var e apiError
		derr := json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || derr != nil || !strings.Contains(e.Error.Message, tc.want) ||
			e.Error.Type != "invalid_request_error" {
			t.Errorf("%s: status %d, error %+v (%v), want 400 naming %q", tc.body, resp.StatusCode, e, derr, tc.want)
		}
	}
	resp, err := hs.Client().Get(hs.URL + "/v1/completions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/completions: %d", resp.StatusCode)
	}
	// Unknown fields are accepted.
	res, err := complete(context.Background(), hs.Client(), hs.URL,
		map[string]any{"prompt": "a", "max_tokens": 3, "model": "x", "n": 1, "logprobs": nil})
	if err != nil || res.status != 200 || len(res.text) != 3 {
		t.Errorf("request with unknown fields: %+v, %v", res, err)
	}
}

// metric reads one sample of /metrics.
func metric(t testing.TB, client *http.Client, url, name string) float64 {
	t.Helper()
	resp, err := client.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	t.Fatalf("no %s in /metrics:\n%s", name, b)
	return 0
}

// waitFor polls cond for up to 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startStream starts a long streaming request and returns once its first
// token has arrived; cancel abandons it, and wait returns its result.
func startStream(t *testing.T, client *http.Client, url string, maxTokens int) (cancel func(), wait func() (result, error)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b, _ := json.Marshal(map[string]any{"prompt": "ROMEO:", "max_tokens": maxTokens, "temperature": 0, "stream": true})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/completions", bytes.NewReader(b))
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	first := make(chan struct{})
	var res result
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		res.status = resp.StatusCode
		rerr = readStream(resp.Body, &res, func() { close(first) })
	}()
	select {
	case <-first:
	case <-done:
		cancel()
		t.Fatalf("stream ended before its first token: %+v %v", res, rerr)
	}
	return cancel, func() (result, error) { <-done; return res, rerr }
}

func TestQueueFullAndCancelledClientFreesSlot(t *testing.T) {
	// A runs until its client goes away.
	_, hs := newServer(t, Config{MaxBatch: 1, MaxQueue: 1, MaxTokens: 1 << 30})
	client := hs.Client()
	cancelA, waitA := startStream(t, client, hs.URL, 1<<30)
	// B waits in the queue behind A.
	type out struct {
		res result
		err error
	}
	bDone := make(chan out, 1)
	go func() {
		res, err := complete(context.Background(), client, hs.URL, map[string]any{"prompt": "JULIET:", "max_tokens": 8, "temperature": 0})
		bDone <- out{res, err}
	}()
	waitFor(t, "the second request to queue", func() bool { return metric(t, client, hs.URL, "quamba_queue_depth") == 1 })
	// C finds the slot and the queue taken.
	resp, err := client.Post(hs.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt": "a"}`))
	if err != nil {
		t.Fatal(err)
	}
	var e apiError
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || e.Error.Message == "" {
		t.Errorf("full queue: status %d, Retry-After %q, error %+v; want 429", resp.StatusCode, resp.Header.Get("Retry-After"), e)
	}
	// A's client goes away: its slot goes to B, which completes.
	cancelA()
	waitA()
	b := <-bDone
	if b.err != nil || b.res.status != 200 || b.res.text != greedy(t, "JULIET:", 8) {
		t.Errorf("queued request after the cancellation: %+v %v", b.res, b.err)
	}
	waitFor(t, "the slots to empty", func() bool { return metric(t, client, hs.URL, "quamba_active_sequences") == 0 })
	if v := metric(t, client, hs.URL, `quamba_requests_total{status="429"}`); v != 1 {
		t.Errorf("429 count %v", v)
	}
	waitFor(t, "the cancelled request to be counted", func() bool {
		resp, err := client.Get(hs.URL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `quamba_requests_total{status="499"} 1`)
	})
}

func TestTimeout(t *testing.T) {
	_, hs := newServer(t, Config{Timeout: 50 * time.Millisecond, MaxTokens: 1 << 20})
	res, err := complete(context.Background(), hs.Client(), hs.URL, map[string]any{"prompt": "a", "max_tokens": 1 << 20})
	if err != nil || res.status != http.StatusGatewayTimeout || !strings.Contains(res.errMsg, "timeout") {
		t.Errorf("non-streaming past the timeout: %+v %v", res, err)
	}
	res, err = complete(context.Background(), hs.Client(), hs.URL, map[string]any{"prompt": "a", "max_tokens": 1 << 20, "stream": true})
	if err != nil || res.status != 200 || !strings.Contains(res.errMsg, "timeout") || !res.done || res.reason != "" {
		t.Errorf("streaming past the timeout: status %d, error %q, reason %q, done %v, %v", res.status, res.errMsg, res.reason, res.done, err)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	s, hs := newServer(t, Config{Name: "shakespeare"})
	resp, err := hs.Client().Get(hs.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h["status"] != "ok" || h["model"] != "shakespeare" {
		t.Errorf("health: %d %v", resp.StatusCode, h)
	}
	if _, err := complete(context.Background(), hs.Client(), hs.URL, map[string]any{"prompt": "ab", "max_tokens": 5}); err != nil {
		t.Fatal(err)
	}
	// The request is counted, and its slot given back, when its handler
	// returns, which may be just after the client has read the answer:
	// /metrics gets a moment to agree.
	wants := []string{
		"# TYPE quamba_requests_total counter", `quamba_requests_total{status="200"} 1`, "quamba_tokens_generated_total 5",
		"quamba_prompt_tokens_total 2", "# TYPE quamba_tokens_per_second gauge", "quamba_queue_depth 0", "quamba_active_sequences 0",
	}
	var b []byte
	for try := 0; ; try++ {
		resp, err = hs.Client().Get(hs.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, want := range wants {
			if !strings.Contains(string(b), want) {
				missing = want
				break
			}
		}
		if missing == "" {
			break
		}
		if try == 100 {
			t.Fatalf("/metrics lacks %q after 2 s:\n%s", missing, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.BeginShutdown()
	resp, err = hs.Client().Get(hs.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("health while shutting down: %d", resp.StatusCode)
	}
	res, _ := complete(context.Background(), hs.Client(), hs.URL, map[string]any{"prompt": "ab"})
	if res.status != http.StatusServiceUnavailable {
		t.Errorf("completion while shutting down: %d", res.status)
	}
}

// Shutdown on a real listener lets a streaming request finish, then
// nothing of the server is left running.
func TestShutdownFinishesInFlightWithoutLeaks(t *testing.T) {
	// Warm the kernels' worker pool (started once per process) first.
	greedy(t, "warm", 4)
	before := goruntime.NumGoroutine()

	s, err := New(rt, tok, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}

	const n = 300
	_, wait := startStream(t, client, url, n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.BeginShutdown()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("http shutdown: %v", err)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("server shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("serve: %v", err)
	}
	res, err := wait()
	if err != nil || !res.done || res.text != greedy(t, "ROMEO:", n) {
		t.Errorf("in-flight stream across shutdown: %+v %v", res, err)
	}
	if _, err := complete(context.Background(), client, url, map[string]any{"prompt": "a"}); err == nil {
		t.Error("a request after shutdown was answered")
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := goruntime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after shutdown, %d before:\n%s", n, before, buf[:goruntime.Stack(buf, true)])
	}
}

// A bounded load test: 32 streaming clients for 10 s, reporting throughput
// and latency (never asserted).
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short")
	}
	_, hs := newServer(t, Config{})
	client := hs.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	const clients, maxTokens = 32, 32
	var (
		mu        sync.Mutex
		latencies []time.Duration
		firsts    []time.Duration
		tokens    int
		failures  int
	)
	end := time.Now().Add(10 * time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				b, _ := json.Marshal(map[string]any{"prompt": prompts[(c+i)%len(prompts)], "max_tokens": maxTokens,
					"temperature": 0.8, "seed": c*1000 + i, "stream": true})
				t0 := time.Now()
				resp, err := client.Post(hs.URL+"/v1/completions", "application/json", bytes.NewReader(b))
				if err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
					continue
				}
				var res result
				var first time.Duration
				err = readStream(resp.Body, &res, func() { first = time.Since(t0) })
				resp.Body.Close()
				mu.Lock()
				if err != nil || resp.StatusCode != 200 || !res.done {
					failures++
				} else {
					latencies = append(latencies, time.Since(t0))
					firsts = append(firsts, first)
					tokens += len(res.text)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		t.Fatalf("no request completed (%d failures)", failures)
	}
	slices.Sort(latencies)
	slices.Sort(firsts)
	pct := func(d []time.Duration, p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	t.Logf("%d streaming clients, %v: %d requests (%d failed), %d tokens, %.0f tokens/s, %.1f requests/s",
		clients, elapsed.Round(time.Millisecond), len(latencies), failures, tokens,
		float64(tokens)/elapsed.Seconds(), float64(len(latencies))/elapsed.Seconds())
	t.Logf("latency p50 %v p99 %v; first token p50 %v p99 %v", pct(latencies, 0.5).Round(time.Microsecond),
		pct(latencies, 0.99).Round(time.Microsecond), pct(firsts, 0.5).Round(time.Microsecond), pct(firsts, 0.99).Round(time.Microsecond))
	steps := metric(t, client, hs.URL, "quamba_decode_steps_total")
	gen := metric(t, client, hs.URL, "quamba_tokens_generated_total")
	busy := metric(t, client, hs.URL, "quamba_decode_seconds_total")
	t.Logf("scheduler: %.0f tokens in %.0f batched steps (%.1f per step), StepBatch busy %.0f%% of the wall time",
		gen, steps, gen/steps, 100*busy/elapsed.Seconds())
	if failures > 0 {
		t.Errorf("%d requests failed", failures)
	}
}
