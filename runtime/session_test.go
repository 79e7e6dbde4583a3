package runtime

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quamba/quamba/internal/race"
	"github.com/quamba/quamba/quant"
)

func w8a8Artifact(t testing.TB, name string) string {
	path, _ := artifact(t, name, quant.W8A8, "", nil)
	return path
}

// A prompt run as one prefill then steps equals one long prefill of the
// same tokens (to the last bits of the GEMM vs GEMV sums).
func TestPrefillThenStepsEqualsLongPrefill(t *testing.T) {
	for _, name := range []string{"mamba1-shakespeare", "mamba2-shakespeare"} {
		rt := open(t, w8a8Artifact(t, name))
		toks := heldout(t, 300)
		_, P := rt.Vocab()
		whole := make([]float32, P)
		if err := rt.NewSession().Forward(toks, whole); err != nil {
			t.Fatal(err)
		}
		s := rt.NewSession()
		if err := s.Forward(toks[:290], nil); err != nil {
			t.Fatal(err)
		}
		last := make([]float32, P)
		for _, tok := range toks[290:] {
			if err := s.Step(tok, last); err != nil {
				t.Fatal(err)
			}
		}
		d := 0.0
		for j := range whole {
			d = max(d, math.Abs(float64(whole[j]-last[j])))
		}
		if d > maxLogitDiff {
			t.Errorf("%s: prefill+steps logits differ from one prefill by %.3g", name, d)
		}
		t.Logf("%s: prefill+steps vs one prefill: max logit difference %.3g", name, d)
	}
}

// Sessions on one model run in parallel goroutines with the results of
// sequential runs; a saved session resumes exactly; a batch step equals
// the sessions' own steps.
func TestSessionsParallelSaveRestoreBatch(t *testing.T) {
	rt := open(t, w8a8Artifact(t, "mamba2-shakespeare"))
	_, P := rt.Vocab()
	toks := heldout(t, 4096)
	const n = 4
	run := func(i int) []float32 {
		s := rt.NewSession()
		out := make([]float32, P)
		if err := s.Forward(toks[i*500:i*500+200], nil); err != nil {
			t.Error(err)
		}
		for _, tok := range toks[i*500+200 : i*500+210] {
			if err := s.Step(tok, out); err != nil {
				t.Error(err)
			}
		}
		return out
	}
	want := make([][]float32, n)
	for i := range n {
		want[i] = run(i)
	}
	got := make([][]float32, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = run(i) }()
	}
	wg.Wait()
	for i := range n {
		for j := range want[i] {
			if want[i][j] != got[i][j] {
				t.Fatalf("session %d: parallel run differs from the sequential one at logit %d", i, j)
			}
		}
	}

	// Save and restore.
	a := rt.NewSession()
	if err := a.Forward(toks[:100], nil); err != nil {
		t.Fatal(err)
	}
	saved, err := a.Save()
	if err != nil {
		t.Fatal(err)
	}
	b := rt.NewSession()
	if err := b.Restore(saved); err != nil {
		t.Fatal(err)
	}
	la, lb := make([]float32, P), make([]float32, P)
	for _, tok := range toks[100:120] {
		_ = a.Step(tok, la)
		_ = b.Step(tok, lb)
	}
	for j := range la {
		if la[j] != lb[j] {
			t.Fatalf("restored session continues differently at logit %d", j)
		}
	}
	if err := b.Restore(saved[:len(saved)/2]); err == nil {
		t.Error("a truncated saved state was accepted")
	}

	// Batched steps against single steps.
	B := 3
	single, batch := make([]*Session, B), make([]*Session, B)
	for r := range B {
		single[r], batch[r] = rt.NewSession(), rt.NewSession()
		_ = single[r].Forward(toks[r*300:r*300+50], nil)
		_ = batch[r].Forward(toks[r*300:r*300+50], nil)
	}
	ws, gs := make([]float32, B*P), make([]float32, B*P)
	for k := range 5 {
		step := []int{toks[1000+k], toks[2000+k], toks[3000+k]}
		for r := range B {
			if err := single[r].Step(step[r], ws[r*P:(r+1)*P]); err != nil {
				t.Fatal(err)
			}
		}
		if err := rt.StepBatch(batch, step, gs); err != nil {
			t.Fatal(err)
		}
	}
	d := 0.0
	for j := range ws {
		d = max(d, math.Abs(float64(ws[j]-gs[j])))
	}
	if d > maxLogitDiff {
		t.Errorf("batched steps differ from single steps by %.3g", d)
	}
	t.Logf("batched vs single steps: max logit difference %.3g", d)
}

// A decode step allocates nothing.
func TestStepDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("counts allocations: the race detector allocates")
	}
	for _, sc := range []quant.Scheme{quant.W8A8, quant.W4A8} {
		path, _ := artifact(t, "mamba1-shakespeare", sc, "", nil)
		rt := open(t, path)
		_, P := rt.Vocab()
		s := rt.NewSession()
		logits := make([]float32, P)
		_ = s.Step(10, logits)
		if n := testing.AllocsPerRun(50, func() { _ = s.Step(11, logits) }); n != 0 {
			t.Errorf("%s: Step allocates %v times per token", sc, n)
		}
	}
}

// A batched decode step allocates nothing either.
func TestStepBatchDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("counts allocations: the race detector allocates")
	}
	path, _ := artifact(t, "mamba1-shakespeare", quant.W8A8, "", nil)
	rt := open(t, path)
	_, P := rt.Vocab()
	ss := []*Session{rt.NewSession(), rt.NewSession()}
	logits := make([]float32, 2*P)
	_ = rt.StepBatch(ss, []int{1, 2}, logits)
	if n := testing.AllocsPerRun(20, func() { _ = rt.StepBatch(ss, []int{1, 2}, logits) }); n != 0 {
		t.Errorf("StepBatch allocates %v times", n)
	}
}

// Bad input: closed models, corrupt, truncated and foreign files, empty
// prompts, out-of-vocabulary tokens; no goroutine outlives its model.
func TestRuntimeBadInput(t *testing.T) {
	path := w8a8Artifact(t, "mamba1-shakespeare")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := map[string]string{
		write("truncated.gguf", data[:len(data)/2]): "",
		write("empty.gguf", nil):                    "",
		write("header.gguf", data[:64]):             "",
	}
	corrupt := append([]byte(nil), data...)
	corrupt[len(corrupt)-100] ^= 0x55
	bad[write("corrupt.gguf", corrupt)] = "checksum"
	for p, want := range bad {
		_, err := Open(p, Options{})
		if err == nil {
			t.Errorf("%s: opened", filepath.Base(p))
			continue
		}
		if !strings.Contains(err.Error(), filepath.Base(p)) || (want != "" && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %q does not name the file (or %q)", filepath.Base(p), err, want)
		}
	}
	if _, err := Open(filepath.Join("..", "testdata", "mamba1-shakespeare", "golden.safetensors"), Options{}); err == nil {
		t.Error("a safetensors file opened as an artifact")
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Error("a directory opened as an artifact")
	}

	goruntime.GC()
	before := goruntime.NumGoroutine()
	for range 3 {
		rt, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := rt.NewSession()
		_, P := rt.Vocab()
		logits := make([]float32, P)
		if err := s.Forward([]int{}, nil); err != nil {
			t.Errorf("empty prompt: %v", err)
		}
		if err := s.Forward([]int{1, 2, 3000}, nil); err == nil {
			t.Error("out-of-vocabulary token accepted")
		}
		if err := s.Forward([]int{72, 101, 108}, logits); err != nil {
			t.Fatal(err)
		}
		if err := rt.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Step(1, logits); !errors.Is(err, ErrClosed) {
			t.Errorf("step after Close: %v, want ErrClosed", err)
		}
		if _, err := s.Save(); !errors.Is(err, ErrClosed) {
			t.Errorf("save after Close: %v, want ErrClosed", err)
		}
		if err := rt.StepBatch([]*Session{s}, []int{1}, nil); !errors.Is(err, ErrClosed) {
			t.Errorf("batch step after Close: %v, want ErrClosed", err)
		}
		if err := rt.NewSession().Forward([]int{1}, nil); !errors.Is(err, ErrClosed) {
			t.Errorf("new session after Close: %v, want ErrClosed", err)
		}
		if err := rt.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
	// The kernels' worker pool starts once per process; nothing else may
	// remain.
	deadline := time.Now().Add(2 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := goruntime.NumGoroutine(); n > before+goruntime.NumCPU() {
		t.Errorf("%d goroutines after three open/close cycles, %d before", n, before)
	}
}

// Load runs an artifact from bytes (go:embed) as Open runs the file.
func TestLoadFromBytes(t *testing.T) {
	path := w8a8Artifact(t, "mamba2-shakespeare")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := open(t, path)
	b, err := Load("embedded.gguf", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, P := a.Vocab()
	la, lb := make([]float32, P), make([]float32, P)
	toks := heldout(t, 100)
	_ = a.NewSession().Forward(toks, la)
	_ = b.NewSession().Forward(toks, lb)
	for j := range la {
		if la[j] != lb[j] {
			t.Fatalf("Load and Open differ at logit %d", j)
		}
	}
}
