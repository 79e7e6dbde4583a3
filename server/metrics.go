package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// rateWindow is the span of the tokens/s gauge, in whole seconds.
const rateWindow = 10

// metrics are the counters behind /metrics.
type metrics struct {
	start time.Time

	active, queued atomic.Int64 // gauges

	mu           sync.Mutex
	requests     map[int]int64 // by status
	tokens       int64
	promptTokens atomic.Int64
	steps        int64
	stepTime     time.Duration
	buckets      [rateWindow + 1]struct{ sec, n int64 } // tokens per second of wall time
}

// request counts a completion request that ended with status.
func (m *metrics) request(status int) {
	if status == 0 {
		status = http.StatusOK
	}
	m.mu.Lock()
	if m.requests == nil {
		m.requests = map[int]int64{}
	}
	m.requests[status]++
	m.mu.Unlock()
}

// generated counts n tokens sampled and returned to clients.
func (m *metrics) generated(n int) {
	if n == 0 {
		return
	}
	sec := time.Now().Unix()
	m.mu.Lock()
	m.tokens += int64(n)
	b := &m.buckets[sec%int64(len(m.buckets))]
	if b.sec != sec {
		b.sec, b.n = sec, 0
	}
	b.n += int64(n)
	m.mu.Unlock()
}

// step counts a batched decode step that took d.
func (m *metrics) step(d time.Duration) {
	m.mu.Lock()
	m.steps++
	m.stepTime += d
	m.mu.Unlock()
}

// rate is the tokens generated per second over the last rateWindow
// complete seconds (fewer just after start).
func (m *metrics) rate(now time.Time) float64 {
	sec := now.Unix()
	var n int64
	for _, b := range m.buckets {
		if b.sec < sec && b.sec >= sec-rateWindow {
			n += b.n
		}
	}
	span := min(float64(rateWindow), float64(sec-m.start.Unix()))
	if span <= 0 {
		return 0
	}
	return float64(n) / span
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	m := &s.metrics
	var b strings.Builder
	metric := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	m.mu.Lock()
	metric("quamba_requests_total", "counter", "Completion requests by HTTP status (499: the client went away).")
	statuses := make([]int, 0, len(m.requests))
	for st := range m.requests {
		statuses = append(statuses, st)
	}
	slices.Sort(statuses)
	for _, st := range statuses {
		fmt.Fprintf(&b, "quamba_requests_total{status=\"%d\"} %d\n", st, m.requests[st])
	}
	metric("quamba_tokens_generated_total", "counter", "Tokens generated (sampled and returned to clients).")
	fmt.Fprintf(&b, "quamba_tokens_generated_total %d\n", m.tokens)
	metric("quamba_prompt_tokens_total", "counter", "Prompt tokens prefilled.")
	fmt.Fprintf(&b, "quamba_prompt_tokens_total %d\n", m.promptTokens.Load())
	metric("quamba_tokens_per_second", "gauge", fmt.Sprintf("Tokens generated per second over the last %d seconds.", rateWindow))
	fmt.Fprintf(&b, "quamba_tokens_per_second %.3f\n", m.rate(time.Now()))
	metric("quamba_decode_steps_total", "counter", "Batched decode steps (one StepBatch each).")
	fmt.Fprintf(&b, "quamba_decode_steps_total %d\n", m.steps)
	metric("quamba_decode_seconds_total", "counter", "Time spent in batched decode steps.")
	fmt.Fprintf(&b, "quamba_decode_seconds_total %.6f\n", m.stepTime.Seconds())
	m.mu.Unlock()
	metric("quamba_queue_depth", "gauge", "Requests waiting for a decode slot.")
	fmt.Fprintf(&b, "quamba_queue_depth %d\n", m.queued.Load())
	metric("quamba_active_sequences", "gauge", "Requests holding a decode slot (prefilling or decoding).")
	fmt.Fprintf(&b, "quamba_active_sequences %d\n", m.active.Load())
	metric("quamba_batch_slots", "gauge", "Decode slots (sequences decoded together at most).")
	fmt.Fprintf(&b, "quamba_batch_slots %d\n", s.cfg.MaxBatch)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprint(w, b.String())
}
