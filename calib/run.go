package calib

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Progress reports a calibration run after each merged sample.
type Progress struct {
	Done, Total         int           // samples merged, samples in all
	Tokens, TotalTokens int64         // tokens merged, tokens in all
	Elapsed             time.Duration // since Calibrate started
}

// Options tunes Calibrate.
type Options struct {
	// Workers is the number of samples run at once, each on its own
	// Session; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Progress, when non-nil, is called after each sample is merged, from
	// one goroutine at a time.
	Progress func(Progress)
}

type result struct {
	idx int
	obs *sampleObs
	err error
}

// Calibrate runs every sample of ds through m with the observers of plan and
// returns the merged statistics. Samples run in parallel, each on a
// worker's Session with its own per-sample observers; their statistics are
// merged in sample order, so the result does not depend on the number of
// workers. At most 2·Workers samples are in flight or waiting to be merged,
// which bounds the memory. ctx cancels between samples.
func Calibrate(ctx context.Context, m Model, plan Plan, ds *Dataset, opt Options) (*Stats, error) {
	if m == nil {
		return nil, errors.New("calib: nil model")
	}
	if ds == nil || len(ds.Samples) == 0 {
		return nil, errors.New("calib: no calibration samples")
	}
	cfg := m.Config()
	if err := plan.validate(cfg); err != nil {
		return nil, err
	}
	var total int64
	for i, s := range ds.Samples {
		if len(s) == 0 {
			return nil, fmt.Errorf("calib: sample %d is empty", i)
		}
		if len(s) > maxSeqLen {
			return nil, fmt.Errorf("calib: sample %d has %d tokens, at most %d are supported", i, len(s), maxSeqLen)
		}
		for j, tok := range s {
			if tok < 0 || tok >= cfg.VocabSize {
				return nil, fmt.Errorf("calib: sample %d: token %d at position %d is outside the vocabulary [0, %d)",
					i, tok, j, cfg.VocabSize)
			}
		}
		total += int64(len(s))
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(ds.Samples))
	window := 2 * workers

	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan result)
	free := make(chan *sampleObs, window)
	results := make(chan result, window)
	var wg sync.WaitGroup

	// Dispatcher: hands out samples in order, each with a free observer
	// set; at most window sets exist.
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		made := 0
		for i := range ds.Samples {
			var o *sampleObs
			if made < window {
				o = newSampleObs(cfg, &plan)
				made++
			} else {
				select {
				case o = <-free:
				case <-ctx.Done():
					return
				}
			}
			select {
			case jobs <- result{idx: i, obs: o}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess := m.NewSession()
			for j := range jobs {
				if ctx.Err() != nil {
					results <- result{idx: j.idx, obs: j.obs, err: ctx.Err()}
					continue
				}
				tokens := ds.Samples[j.idx]
				j.obs.begin(len(tokens))
				j.err = sess.Run(tokens, j.obs)
				if j.err == nil {
					j.err = j.obs.finish(sess)
				}
				results <- j
			}
		}()
	}
	fail := func(err error) (*Stats, error) {
		cancel()
		wg.Wait()
		return nil, err
	}

	st := newStats()
	st.Summary = ds.Summary
	pending := make(map[int]*sampleObs, window)
	var tokens int64
	for next := 0; next < len(ds.Samples); {
		select {
		case r := <-results:
			if r.err != nil {
				if ctx.Err() != nil && errors.Is(r.err, ctx.Err()) {
					return fail(r.err)
				}
				return fail(fmt.Errorf("calib: sample %d: %w", r.idx, r.err))
			}
			pending[r.idx] = r.obs
		case <-ctx.Done():
			return fail(ctx.Err())
		}
		for o, ok := pending[next]; ok; o, ok = pending[next] {
			delete(pending, next)
			st.merge(o)
			tokens += int64(len(ds.Samples[next]))
			next++
			free <- o
			if opt.Progress != nil {
				opt.Progress(Progress{Done: next, Total: len(ds.Samples), Tokens: tokens, TotalTokens: total,
					Elapsed: time.Since(start)})
			}
		}
	}
	wg.Wait()
	if st.Summary.Samples == 0 {
		st.Summary.Samples = len(ds.Samples)
	}
	if st.Summary.Tokens == 0 {
		st.Summary.Tokens = total
	}
	return st, nil
}
