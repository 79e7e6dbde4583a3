// Package server serves a quantized model (runtime.Model) over HTTP with an
// OpenAI-style completions API:
//
//	POST /v1/completions  {"prompt": "ROMEO:", "max_tokens": 64, "temperature": 0.8, "top_k": 40, "seed": 1, "stream": true}
//	GET  /health          200 {"status":"ok"} while serving, 503 while shutting down
//	GET  /metrics         Prometheus text format
//
// Concurrent requests are decoded together. Each request first waits for
// one of Config.MaxBatch slots (at most Config.MaxQueue requests wait; more
// are refused with 429), then its prompt is prefilled in sequence mode
// (runtime.Session.Forward) in the request's goroutine, and the session
// joins the scheduler: one goroutine that samples a token for every active
// session and steps them all with one runtime.Model.StepBatch per token, so
// B sequences cost about the weight traffic of one. A request ends at its
// token budget, the end-of-text token, its timeout (Config.Timeout), or
// when its client goes away (the request context); its slot is then free
// for the next one. Shutdown lets in-flight requests finish.
//
// Sampling is package generate's, so a request with temperature 0 returns
// what model.Greedy (and `quamba generate --temperature 0`) produces.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quamba/quamba/generate"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/tokenizer"
)

// Config tunes a Server; zero fields take the defaults.
type Config struct {
	// Name is the model name in responses (default "quamba").
	Name string
	// MaxBatch is the number of sequences decoded together (default 16).
	MaxBatch int
	// MaxQueue is the number of requests that may wait for a slot
	// (default 64; negative: none); a request beyond it gets 429.
	MaxQueue int
	// Timeout bounds a request from arrival to its last token (default 2
	// minutes); a non-streaming request that runs out gets 504, a
	// streaming one an error event.
	Timeout time.Duration
	// MaxTokens is the largest max_tokens a request may ask (default 2048).
	MaxTokens int
	// MaxPromptTokens bounds the prompt's length in tokens (default 8192).
	MaxPromptTokens int
	// MaxBodyBytes bounds the request body (default 1 MiB).
	MaxBodyBytes int64
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "quamba"
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 16
	}
	if c.MaxQueue < 0 {
		c.MaxQueue = 0
	} else if c.MaxQueue == 0 {
		c.MaxQueue = 64
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.MaxTokens <= 0 {
		c.MaxTokens = 2048
	}
	if c.MaxPromptTokens <= 0 {
		c.MaxPromptTokens = 8192
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	return c
}

// Request defaults, as OpenAI's completions API has them (top_k 0: all
// tokens; an absent seed draws one).
const (
	DefaultMaxTokens   = 16
	DefaultTemperature = 1.0
)

// Server is the completion service over one model. Create it with New,
// serve it as an http.Handler, and end it with Shutdown.
type Server struct {
	m      *runtime.Model
	tok    tokenizer.Tokenizer
	cfg    Config
	padded int
	mux    *http.ServeMux

	slots chan struct{} // a value per admitted request (prefilling or decoding)
	jobs  chan *job     // admitted, prefilled requests, to the scheduler
	quit  chan struct{} // closed by Shutdown once nothing is in flight
	done  chan struct{} // closed when the scheduler returns

	abort     chan struct{} // closed when Shutdown's context expires
	abortOnce sync.Once
	quitOnce  sync.Once

	mu       sync.Mutex
	waiting  int // requests waiting for a slot
	closing  bool
	inflight sync.WaitGroup

	ids     atomic.Uint64
	metrics metrics
}

// New returns a server for m, with tok its tokenizer, and starts its
// scheduler.
func New(m *runtime.Model, tok tokenizer.Tokenizer, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	_, padded := m.Vocab()
	if tok.VocabSize() > padded {
		return nil, fmt.Errorf("server: the tokenizer's %d tokens exceed the model's %d logits", tok.VocabSize(), padded)
	}
	s := &Server{
		m: m, tok: tok, cfg: cfg, padded: padded, mux: http.NewServeMux(),
		slots: make(chan struct{}, cfg.MaxBatch),
		jobs:  make(chan *job, cfg.MaxBatch),
		quit:  make(chan struct{}), done: make(chan struct{}), abort: make(chan struct{}),
	}
	s.metrics.start = time.Now()
	s.mux.HandleFunc("/v1/completions", s.handleCompletions)
	s.mux.HandleFunc("/health", s.handleHealth)
	s.mux.HandleFunc("/metrics", s.handleMetrics)
	go s.schedule()
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// BeginShutdown makes the server refuse new completions (503) and report
// 503 on /health, without waiting; Shutdown calls it.
func (s *Server) BeginShutdown() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
}

// Shutdown refuses new requests, waits for the in-flight ones (waiting,
// prefilling or decoding) to finish, and stops the scheduler. When ctx
// ends first, the remaining requests are ended with an error, and
// Shutdown returns ctx's error once they have. It does not close the
// model.
func (s *Server) Shutdown(ctx context.Context) error {
	s.BeginShutdown()
	idle := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(idle)
	}()
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		s.abortOnce.Do(func() { close(s.abort) })
		<-idle
		err = ctx.Err()
	}
	s.quitOnce.Do(func() { close(s.quit) })
	<-s.done
	return err
}

// job is one admitted request on its way through the scheduler.
type job struct {
	ctx    context.Context
	sess   *runtime.Session
	dec    *generate.Decoder
	logits []float32 // of the last token fed
	out    *outbox
}

// outbox carries a job's text from the scheduler to its handler without
// ever blocking the scheduler: text accumulates until the handler takes it,
// so a slow client gets larger chunks, not a stalled batch.
type outbox struct {
	mu     sync.Mutex
	text   []byte
	ended  bool
	reason string // once ended: generate.FinishLength or FinishStop
	err    error  // once ended: why the job ended early
	notify chan struct{}
}

func newOutbox() *outbox { return &outbox{notify: make(chan struct{}, 1)} }

func (o *outbox) wake() {
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

// push appends generated text.
func (o *outbox) push(text string) {
	o.mu.Lock()
	o.text = append(o.text, text...)
	o.mu.Unlock()
	o.wake()
}

// end marks the job over.
func (o *outbox) end(reason string, err error) {
	o.mu.Lock()
	o.ended, o.reason, o.err = true, reason, err
	o.mu.Unlock()
	o.wake()
}

// next waits for text or the end and returns the text pushed since the
// last call and, once the job is over, ended with its reason or error.
func (o *outbox) next() (text string, ended bool, reason string, err error) {
	for {
		<-o.notify
		o.mu.Lock()
		text, ended, reason, err = string(o.text), o.ended, o.reason, o.err
		o.text = o.text[:0]
		o.mu.Unlock()
		if text != "" || ended {
			return text, ended, reason, err
		}
	}
}

var errShutdown = errors.New("the server is shutting down")

// schedule is the scheduler goroutine: it samples a token for each active
// job and feeds them all with one StepBatch, until Shutdown.
func (s *Server) schedule() {
	defer close(s.done)
	var (
		active   []*job
		sessions []*runtime.Session
		tokens   []int
		logits   []float32
	)
	for {
		if len(active) == 0 {
			select {
			case j := <-s.jobs:
				active = append(active, j)
			case <-s.quit:
				return
			}
		}
	drain:
		for {
			select {
			case j := <-s.jobs:
				active = append(active, j)
			default:
				break drain
			}
		}
		aborted := false
		select {
		case <-s.abort:
			aborted = true
		default:
		}
		keep := active[:0]
		sessions, tokens = sessions[:0], tokens[:0]
		for _, j := range active {
			if aborted {
				s.finish(j, errShutdown)
				continue
			}
			if err := j.ctx.Err(); err != nil {
				s.finish(j, err)
				continue
			}
			before := j.dec.Generated()
			id, text, feed := j.dec.Next(j.logits)
			// Counted before the job can finish: a client that has its
			// answer finds its tokens in /metrics.
			s.metrics.generated(j.dec.Generated() - before)
			if text != "" {
				j.out.push(text)
			}
			if !feed {
				s.finish(j, nil)
				continue
			}
			keep = append(keep, j)
			sessions = append(sessions, j.sess)
			tokens = append(tokens, id)
		}
		clear(active[len(keep):])
		active = keep
		if len(active) == 0 {
			continue
		}
		if need := len(active) * s.padded; cap(logits) < need {
			logits = make([]float32, need)
		}
		start := time.Now()
		if err := s.m.StepBatch(sessions, tokens, logits[:len(active)*s.padded]); err != nil {
			for _, j := range active {
				s.finish(j, fmt.Errorf("decode step: %w", err))
			}
			clear(active)
			active = active[:0]
			continue
		}
		for r, j := range active {
			copy(j.logits, logits[r*s.padded:(r+1)*s.padded])
		}
		s.metrics.step(time.Since(start))
	}
}

// finish ends j: the text held back, the end, and its slot.
func (s *Server) finish(j *job, err error) {
	if rest := j.dec.Flush(); rest != "" && err == nil {
		j.out.push(rest)
	}
	<-s.slots
	s.metrics.active.Add(-1)
	j.out.end(j.dec.FinishReason(), err)
}

// errQueueFull is returned by acquire when MaxQueue requests wait already.
var errQueueFull = errors.New("the server is busy: the request queue is full")

// acquire takes a decode slot, waiting in the bounded queue when all are
// taken.
func (s *Server) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	s.mu.Lock()
	if s.waiting >= s.cfg.MaxQueue {
		s.mu.Unlock()
		return errQueueFull
	}
	s.waiting++
	s.metrics.queued.Store(int64(s.waiting))
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.waiting--
		s.metrics.queued.Store(int64(s.waiting))
		s.mu.Unlock()
	}()
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.abort:
		return errShutdown
	}
}

// completionRequest is the body of POST /v1/completions; fields the
// server does not use (model, n, stop, ...) are accepted and ignored.
type completionRequest struct {
	Prompt      *string  `json:"prompt"`
	MaxTokens   *int     `json:"max_tokens"`
	Temperature *float64 `json:"temperature"`
	TopK        *int     `json:"top_k"`
	Seed        *int64   `json:"seed"`
	Stream      bool     `json:"stream"`
}

type choice struct {
	Text         string  `json:"text"`
	Index        int     `json:"index"`
	Logprobs     any     `json:"logprobs"`
	FinishReason *string `json:"finish_reason"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type completion struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []choice `json:"choices"`
	Usage   *usage   `json:"usage,omitempty"`
}

type apiError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

func newAPIError(status int, msg string) apiError {
	var e apiError
	e.Error.Message = msg
	switch {
	case status == http.StatusTooManyRequests:
		e.Error.Type = "rate_limit_error"
	case status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout, status >= 500:
		e.Error.Type = "server_error"
	default:
		e.Error.Type = "invalid_request_error"
	}
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, newAPIError(status, fmt.Sprintf(format, args...)))
}

// statusClientClosed is the status recorded (never sent) for a request
// whose client went away (nginx's 499).
const statusClientClosed = 499

// recorder notes the status a handler wrote, for the metrics.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// parse decodes and checks a completion request.
func (s *Server) parse(w http.ResponseWriter, r *http.Request) (prompt []int, p generate.Params, stream bool, err error) {
	var req completionRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, p, false, fmt.Errorf("the request body is larger than %d bytes", s.cfg.MaxBodyBytes)
		}
		return nil, p, false, fmt.Errorf("the request body is not valid JSON for a completion: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, p, false, errors.New("the request body holds more than one JSON value")
	}
	if req.Prompt == nil || *req.Prompt == "" {
		return nil, p, false, errors.New("prompt: a non-empty string is required")
	}
	p = generate.Params{MaxTokens: DefaultMaxTokens, Temperature: DefaultTemperature}
	if req.MaxTokens != nil {
		p.MaxTokens = *req.MaxTokens
		if p.MaxTokens < 1 || p.MaxTokens > s.cfg.MaxTokens {
			return nil, p, false, fmt.Errorf("max_tokens %d: must be between 1 and %d", p.MaxTokens, s.cfg.MaxTokens)
		}
	}
	if req.Temperature != nil {
		p.Temperature = *req.Temperature
	}
	if req.TopK != nil {
		p.TopK = *req.TopK
	}
	if err := p.Validate(s.tok.VocabSize()); err != nil {
		return nil, p, false, err
	}
	if req.Seed != nil {
		p.Seed = uint64(*req.Seed)
	} else {
		p.Seed = rand.Uint64()
	}
	prompt = s.tok.Encode(*req.Prompt)
	if len(prompt) == 0 {
		return nil, p, false, errors.New("prompt: encodes to no tokens")
	}
	if len(prompt) > s.cfg.MaxPromptTokens {
		return nil, p, false, fmt.Errorf("prompt: %d tokens, more than the %d allowed", len(prompt), s.cfg.MaxPromptTokens)
	}
	return prompt, p, req.Stream, nil
}

func (s *Server) handleCompletions(rw http.ResponseWriter, r *http.Request) {
	w := &recorder{ResponseWriter: rw}
	defer func() { s.metrics.request(w.status) }()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST for /v1/completions")
		return
	}
	prompt, p, stream, err := s.parse(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "%v", errShutdown)
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()

	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	if err := s.acquire(ctx); err != nil {
		if errors.Is(err, errQueueFull) {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, "%v", err)
			return
		}
		s.writeEndError(w, r, err)
		return
	}
	s.metrics.active.Add(1)
	j := &job{
		ctx:    ctx,
		sess:   s.m.NewSession(),
		dec:    generate.NewDecoder(s.tok, p),
		logits: make([]float32, s.padded),
		out:    newOutbox(),
	}
	if err := j.sess.Forward(prompt, j.logits); err != nil {
		<-s.slots
		s.metrics.active.Add(-1)
		writeError(w, http.StatusInternalServerError, "prefill: %v", err)
		return
	}
	s.metrics.promptTokens.Add(int64(len(prompt)))
	s.jobs <- j // never blocks: a job holds a slot, and there are as many places as slots

	head := completion{
		ID: "cmpl-" + strconv.FormatUint(s.ids.Add(1), 10), Object: "text_completion",
		Created: time.Now().Unix(), Model: s.cfg.Name,
	}
	if stream {
		s.stream(w, r, j, head)
		return
	}
	var text []byte
	var reason string
	for { // to the end: the scheduler always ends the job
		t, ended, why, err := j.out.next()
		text = append(text, t...)
		if err != nil {
			s.writeEndError(w, r, err)
			return
		}
		if ended {
			reason = why
			break
		}
	}
	n := j.dec.Generated()
	head.Choices = []choice{{Text: string(text), FinishReason: &reason}}
	head.Usage = &usage{PromptTokens: len(prompt), CompletionTokens: n, TotalTokens: len(prompt) + n}
	writeJSON(w, http.StatusOK, head)
}

// writeEndError answers a request that ended without its tokens.
func (s *Server) writeEndError(w *recorder, r *http.Request, err error) {
	switch {
	case r.Context().Err() != nil:
		w.status = statusClientClosed // nobody is listening
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "the request took longer than the server's %v timeout", s.cfg.Timeout)
	case errors.Is(err, errShutdown):
		writeError(w, http.StatusServiceUnavailable, "%v", err)
	default:
		writeError(w, http.StatusInternalServerError, "%v", err)
	}
}

// stream writes j's output as server-sent events: a completion chunk per
// piece of text (the tokens generated since the last chunk), a last chunk with the finish reason (or an error object),
// and data: [DONE].
func (s *Server) stream(w *recorder, r *http.Request, j *job, head completion) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	w.Flush()
	broken := false
	send := func(v any) {
		if broken {
			return
		}
		b, err := json.Marshal(v)
		if err == nil {
			_, err = fmt.Fprintf(w, "data: %s\n\n", b)
		}
		if err != nil {
			broken = true
			return
		}
		w.Flush()
	}
	for { // to the end: the scheduler always ends the job
		text, ended, reason, err := j.out.next()
		if text != "" {
			c := head
			c.Choices = []choice{{Text: text}}
			send(c)
		}
		if !ended {
			continue
		}
		if err != nil {
			if r.Context().Err() != nil {
				broken = true
				w.status = statusClientClosed
			}
			msg := err.Error()
			if errors.Is(err, context.DeadlineExceeded) {
				msg = fmt.Sprintf("the request took longer than the server's %v timeout", s.cfg.Timeout)
			}
			send(newAPIError(http.StatusInternalServerError, msg))
		} else {
			c := head
			c.Choices = []choice{{FinishReason: &reason}}
			send(c)
		}
		break
	}
	if !broken {
		fmt.Fprint(w, "data: [DONE]\n\n")
		w.Flush()
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "model": s.cfg.Name})
}
