package runtime

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/quant"
)

// Sessions run prefill, decode steps, save and restore, and batched steps
// from many goroutines at once, on two models loaded from the same bytes,
// while one of the models is closed under them: every call returns nil or
// ErrClosed, never panics, and (under go test -race, as scripts/test runs
// it) shares no memory unsynchronised.
func TestConcurrentSessionsAndClose(t *testing.T) {
	for _, tc := range []struct {
		arch formats.Arch
		sc   quant.Scheme
	}{{formats.Mamba1, quant.W8A8}, {formats.Mamba2, quant.W4A8}} {
		t.Run(string(tc.arch)+"-"+string(tc.sc), func(t *testing.T) {
			b := tinyArtifact(t, tc.arch, tc.sc)
			closing, err := Load("closing.gguf", b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			staying := mustLoad(t, b)
			_, P := staying.Vocab()
			ok := func(err error) {
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
				}
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for g := range 6 {
				m := closing
				if g%2 == 1 {
					m = staying
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := m.NewSession()
					other := m.NewSession()
					logits := make([]float32, 2*P)
					for k := 0; ; k++ {
						select {
						case <-stop:
							return
						default:
						}
						switch g / 2 {
						case 0:
							ok(s.Forward([]int{1, 2, 3, k % 16}, logits[:P]))
							ok(s.Step(k%16, logits[:P]))
						case 1:
							ok(m.StepBatch([]*Session{s, other}, []int{k % 16, (k + 3) % 16}, logits))
						default:
							ok(s.Step(k%16, nil))
							saved, err := s.Save()
							ok(err)
							if err == nil {
								ok(other.Restore(saved))
							}
							s.Reset()
						}
					}
				}()
			}
			time.Sleep(200 * time.Millisecond)
			ok(closing.Close())
			time.Sleep(100 * time.Millisecond)
			close(stop)
			wg.Wait()
			// Afterwards the closed model refuses, the other still runs.
			if err := closing.NewSession().Step(1, nil); !errors.Is(err, ErrClosed) {
				t.Errorf("step on the closed model: %v, want ErrClosed", err)
			}
			if err := staying.NewSession().Forward([]int{1, 2}, make([]float32, P)); err != nil {
				t.Errorf("the other model after the close: %v", err)
			}
		})
	}
}
