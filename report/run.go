package report

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/hadamard"
	"github.com/quamba/quamba/kernels"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/tokenizer"
)

// Config is what Run measures.
type Config struct {
	Model     string              // checkpoint directory
	Tokenizer tokenizer.Tokenizer // the model's tokenizer
	// Schemes to quantize (FP, the FP32 engine, is always measured).
	Schemes []quant.Scheme
	// Artifacts are already quantized models measured instead of
	// quantizing their scheme.
	Artifacts []string
	// ArtifactDir receives the artifacts Run quantizes.
	ArtifactDir string

	// Calibration (calib.DataConfig); Workers is the calibration
	// parallelism.
	Calib      []string
	Samples    int
	SeqLen     int
	Seed       uint64
	AllowFewer bool
	Workers    int
	// Budget and A8Count choose W4AX's A8 layers (quant.Options.A8Budget,
	// A8Count); 0 keeps the scheme's default.
	Budget  float64
	A8Count int
	// SourceDigest identifies the checkpoint in the artifacts.
	SourceDigest string
	// Name, when non-nil, is how the report and the artifacts it writes
	// name an input file given by path (for example "-" for a temporary
	// copy of the standard input).
	Name func(path string) string

	Eval         []string // evaluation texts
	Ctx          int      // perplexity window
	Lambada      string   // LAMBADA JSONL (optional)
	LambadaLimit int      // first examples only when > 0

	// SpeedTokens is the prefill length and DecodeTokens the decoded
	// tokens of the speed measurement (256 and 64 when 0).
	SpeedTokens, DecodeTokens int

	Command  string
	Progress io.Writer // progress lines (nil: none)
}

type runner struct {
	ctx   context.Context
	cfg   Config
	w     *model.Weights
	evals [][]int
	lam   []lambadaExample
	probe []int // tokens of the speed and SQNR measurements
	t0    time.Time
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "[%7.1fs] %s\n", time.Since(r.t0).Seconds(), fmt.Sprintf(format, args...))
	}
}

// Run measures the FP32 engine and every scheme of cfg on the int8 runtime.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	r := &runner{ctx: ctx, cfg: cfg, t0: time.Now()}
	if cfg.Tokenizer == nil {
		return nil, fmt.Errorf("report: no tokenizer")
	}
	if len(cfg.Eval) == 0 {
		return nil, fmt.Errorf("report: no evaluation text")
	}
	files, err := formats.OpenModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	w, err := model.NewWeights(files.Config, files)
	files.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Model, err)
	}
	r.w = w
	mc := w.Config
	if r.cfg.Ctx == 0 {
		r.cfg.Ctx = 2048
		if mc.VocabSize <= 256 {
			r.cfg.Ctx = 256
		}
	}
	rep := &Report{Schema: Schema, Created: time.Now().UTC().Format(time.RFC3339), Command: cfg.Command, Ctx: r.cfg.Ctx,
		Versions: Versions{Tool: quant.ToolVersion, Go: goruntime.Version(), ArtifactFormat: quant.ArtifactVersion,
			Kernels: kernels.Active().String(), OS: goruntime.GOOS, Arch: goruntime.GOARCH, CPUs: goruntime.NumCPU()},
		Model: ModelInfo{Path: relPath(cfg.Model), Arch: string(mc.Arch), DModel: mc.DModel, NLayer: mc.NLayer, DInner: mc.DInner,
			Vocab: mc.VocabSize, Params: mc.ParamCount()}}
	for _, p := range cfg.Eval {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		toks := cfg.Tokenizer.Encode(string(b))
		if len(toks) < 2 {
			return nil, fmt.Errorf("%s: fewer than 2 tokens", p)
		}
		r.evals = append(r.evals, toks)
		rep.Eval = append(rep.Eval, EvalSet{Name: filepath.Base(p), Path: relPath(p), Tokens: len(toks)})
	}
	r.probe = r.evals[0][:min(len(r.evals[0]), max(cfg.SpeedTokens, 256))]
	if cfg.Lambada != "" {
		if r.lam, err = loadLambada(cfg.Lambada, cfg.Tokenizer, mc.VocabSize <= 256, cfg.LambadaLimit); err != nil {
			return nil, err
		}
		rep.Lambada = &LambadaSet{Path: relPath(cfg.Lambada), Examples: len(r.lam)}
	}

	// The FP32 engine.
	fp, err := model.Build(w, model.Stages{})
	if err != nil {
		return nil, err
	}
	r.logf("fp: measuring the FP32 engine")
	fpRes := Scheme{Name: FP, Recipe: "FP32 engine", Bytes: 4 * mc.ParamCount(), BitsPerWeight: 32}
	if err := r.measure(fp, &fpRes); err != nil {
		return nil, fmt.Errorf("fp: %w", err)
	}
	rep.Schemes = append(rep.Schemes, fpRes)
	if rep.Hadamard, err = r.hadamardFigure(fp); err != nil {
		return nil, err
	}

	// Given artifacts replace the schemes they hold.
	given := map[quant.Scheme]string{}
	var order []quant.Scheme
	for _, p := range cfg.Artifacts {
		c, err := quant.ReadArtifact(p, formats.GGUFOptions{SkipChecksum: true})
		if err != nil {
			return nil, err
		}
		if c.Config().DModel != mc.DModel || c.Config().NLayer != mc.NLayer || c.Config().Arch != mc.Arch {
			return nil, fmt.Errorf("%s is not a quantization of %s", p, cfg.Model)
		}
		given[c.Options.Scheme] = p
		order = append(order, c.Options.Scheme)
	}
	for _, sc := range cfg.Schemes {
		if !slices.Contains(order, sc) {
			order = append(order, sc)
		}
	}
	var ds *calib.Dataset
	for i, sc := range order {
		path, seconds := given[sc], 0.0
		if path == "" {
			if ds == nil {
				if len(cfg.Calib) == 0 {
					return nil, fmt.Errorf("report: quantizing %s needs calibration text", sc)
				}
				ds, err = calib.LoadData(calib.DataConfig{Files: cfg.Calib, Tokenizer: cfg.Tokenizer, Samples: cfg.Samples,
					SeqLen: cfg.SeqLen, Seed: cfg.Seed, AllowFewer: cfg.AllowFewer})
				if err != nil {
					return nil, err
				}
				if cfg.Name != nil {
					for i, f := range ds.Summary.Files {
						ds.Summary.Files[i] = cfg.Name(f)
					}
				}
				rep.Calib = &Calib{Files: relPaths(ds.Summary.Files), Samples: ds.Summary.Samples, SeqLen: ds.Summary.SeqLen, Tokens: ds.Summary.Tokens}
			}
			t := time.Now()
			if path, err = r.quantize(sc, ds); err != nil {
				return nil, fmt.Errorf("%s: %w", sc, err)
			}
			seconds = time.Since(t).Seconds()
		}
		r.logf("[%d/%d] %s: measuring %s on the int8 runtime", i+1, len(order), sc, path)
		res, err := r.measureArtifact(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		res.QuantizeSeconds = seconds
		rep.Schemes = append(rep.Schemes, *res)
	}
	fpS := rep.Scheme(FP)
	for i := range rep.Schemes {
		s := &rep.Schemes[i]
		for j := range s.Perplexity {
			ref := fpS.Perplexity[j].PPL
			s.Perplexity[j].Change = s.Perplexity[j].PPL - ref
			s.Perplexity[j].ChangePct = 100 * (s.Perplexity[j].PPL/ref - 1)
		}
		s.Verdict = verdict(s, fpS)
	}
	r.logf("done")
	return rep, nil
}

// quantize compiles scheme sc and writes its artifact.
func (r *runner) quantize(sc quant.Scheme, ds *calib.Dataset) (string, error) {
	opt, err := quant.DefaultOptions(sc)
	if err != nil {
		return "", err
	}
	if sc == quant.W4AX {
		if r.cfg.Budget > 0 {
			opt.A8Budget = r.cfg.Budget
		}
		if r.cfg.A8Count > 0 {
			opt.A8Count = r.cfg.A8Count
		}
	}
	r.logf("%s: quantizing (%s)", sc, opt)
	c, err := quant.Compile(r.ctx, r.w, ds, opt, quant.CompileOptions{Workers: r.cfg.Workers, SourceDigest: r.cfg.SourceDigest,
		Progress: func(s quant.Stage) {
			if s.Finished {
				r.logf("%s: %s done in %s", sc, s.Name, s.Elapsed.Round(time.Millisecond))
			}
		}})
	if err != nil {
		return "", err
	}
	dir := r.cfg.ArtifactDir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.gguf", filepath.Base(filepath.Clean(r.cfg.Model)), sc))
	return path, quant.WriteArtifact(path, c, filepath.Base(filepath.Clean(r.cfg.Model)))
}

// measureArtifact opens path on the runtime and measures it.
func (r *runner) measureArtifact(path string) (*Scheme, error) {
	rt, err := runtime.Open(path, runtime.Options{})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	info := rt.Info()
	o := info.Options
	s := &Scheme{Name: string(o.Scheme), Recipe: o.String(), Artifact: relPath(path), Bytes: st.Size(),
		BitsPerWeight: 8 * float64(st.Size()) / float64(r.w.Config.ParamCount()), Kinds: info.Kinds, W4AX: o.W4AX}
	if o.ABits == 8 {
		s.A8Layers = o.A8Layers
		if s.A8Layers == nil {
			for i := range r.w.Config.NLayer {
				s.A8Layers = append(s.A8Layers, i)
			}
		}
	}
	if err := r.measure(rt, s); err != nil {
		return nil, err
	}
	c, err := quant.ReadArtifact(path, formats.GGUFOptions{SkipChecksum: true})
	if err != nil {
		return nil, err
	}
	if len(c.Acts) > 0 {
		r.logf("%s: activation SQNR", s.Name)
		if s.SQNR, err = r.sqnr(rt, c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// measure runs perplexity, LAMBADA and speed on lm.
func (r *runner) measure(lm model.LanguageModel, s *Scheme) error {
	for i, toks := range r.evals {
		t := time.Now()
		res, err := model.Perplexity(r.ctx, lm, toks, r.cfg.Ctx, nil)
		if err != nil {
			return err
		}
		s.Perplexity = append(s.Perplexity, PPL{Set: filepath.Base(r.cfg.Eval[i]), PPL: res.PPL()})
		r.logf("%s: perplexity %.4f on %s (%d tokens, %.1fs)", s.Name, res.PPL(), filepath.Base(r.cfg.Eval[i]), len(toks), time.Since(t).Seconds())
	}
	if len(r.lam) > 0 {
		t := time.Now()
		l, err := lambada(r.ctx, lm, r.lam)
		if err != nil {
			return err
		}
		s.Lambada = l
		r.logf("%s: LAMBADA %d/%d (%.1fs)", s.Name, l.Correct, l.Total, time.Since(t).Seconds())
	}
	var err error
	s.PrefillTPS, s.DecodeTPS, err = speed(lm, r.probe, r.cfg.SpeedTokens, r.cfg.DecodeTokens)
	r.logf("%s: prefill %.0f tokens/s, decode %.0f tokens/s", s.Name, s.PrefillTPS, s.DecodeTPS)
	return err
}

// speed measures prefill (Forward of n tokens, the best of repeats over at
// least 0.5 s) and decode (Step of d tokens after them) tokens/s.
func speed(lm model.LanguageModel, probe []int, n, d int) (prefill, decode float64, err error) {
	if n <= 0 {
		n = 256
	}
	if d <= 0 {
		d = 64
	}
	toks := probe[:min(n, len(probe))]
	_, P := lm.Vocab()
	logits := make([]float32, P)
	s := lm.NewSequence()
	best := math.Inf(1)
	for start := time.Now(); time.Since(start) < 500*time.Millisecond || math.IsInf(best, 1); {
		s.Reset()
		t := time.Now()
		if err := s.Forward(toks, logits); err != nil {
			return 0, 0, err
		}
		best = min(best, time.Since(t).Seconds())
	}
	prefill = float64(len(toks)) / best
	best = math.Inf(1)
	for rep := 0; rep < 3; rep++ {
		s.Reset()
		if err := s.Forward(toks[:min(16, len(toks))], logits); err != nil {
			return 0, 0, err
		}
		t := time.Now()
		tok := model.Argmax(logits)
		for range d {
			if err := s.Step(tok, logits); err != nil {
				return 0, 0, err
			}
			tok = model.Argmax(logits)
		}
		best = min(best, time.Since(t).Seconds())
	}
	return prefill, float64(d) / best, nil
}

type lambadaExample struct {
	context, target []int
}

// loadLambada reads the OpenAI LAMBADA JSONL ({"text": ...} per line): the
// target is the last word. For byte-level models the word is the bytes
// after the last space (the space ends the context); otherwise the target
// is " word" as the tokenizer splits it.
func loadLambada(path string, tok tokenizer.Tokenizer, bytes bool, limit int) ([]lambadaExample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []lambadaExample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var rec struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		text := strings.TrimRight(rec.Text, " \n")
		i := strings.LastIndexAny(text, " \n")
		if i <= 0 || i == len(text)-1 {
			return nil, fmt.Errorf("%s:%d: no last word", path, line)
		}
		cut := i
		if bytes {
			cut = i + 1
		}
		ex := lambadaExample{context: tok.Encode(text[:cut]), target: tok.Encode(text[cut:])}
		if len(ex.context) == 0 || len(ex.target) == 0 {
			return nil, fmt.Errorf("%s:%d: empty context or target", path, line)
		}
		out = append(out, ex)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no examples", path)
	}
	return out, nil
}

// lambada counts the examples whose whole target the model predicts
// greedily (the argmax at every target position, given the right prefix,
// is the target token: what greedy generation of the word produces).
func lambada(ctx context.Context, lm model.LanguageModel, exs []lambadaExample) (*Lambada, error) {
	V, P := lm.Vocab()
	s := lm.NewSequence()
	res := &Lambada{Total: len(exs)}
	for _, ex := range exs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.Reset()
		if len(ex.context) > 1 {
			if err := s.Forward(ex.context[:len(ex.context)-1], nil); err != nil {
				return nil, err
			}
		}
		in := append([]int{ex.context[len(ex.context)-1]}, ex.target[:len(ex.target)-1]...)
		logits := make([]float32, len(in)*P)
		if err := s.Forward(in, logits); err != nil {
			return nil, err
		}
		ok := true
		for t, want := range ex.target {
			if model.Argmax(logits[t*P:t*P+V]) != want {
				ok = false
				break
			}
		}
		if ok {
			res.Correct++
		}
	}
	res.Accuracy = float64(res.Correct) / float64(res.Total)
	return res, nil
}

// sqnr measures every quantized activation of c: the runtime's activation
// (quantized and dequantized with the artifact's scales, as the kernels
// consume it) against the FP32 engine over c's weights (the same rotated,
// reordered, dequantized weights: only activation quantization differs) on
// the probe tokens. SQNR = 10·log10(Σ ref² / Σ (ref - q)²).
func (r *runner) sqnr(rt *runtime.Model, c *quant.Compiled) (*SQNR, error) {
	cfg := c.Config()
	ref, err := model.Build(c.Weights, model.Stages{})
	if err != nil {
		return nil, err
	}
	type acc struct {
		ref        []float32
		pos        int
		sig, noise float64
	}
	accs := map[quant.ActKey]*acc{}
	for k := range c.Acts {
		accs[k] = &acc{}
	}
	_, P := ref.Vocab()
	logits := make([]float32, P)
	st := ref.NewState()
	st.Observer = model.ObserverFunc(func(layer int, p model.Point, rows, cols int, data []float32) {
		if a := accs[quant.ActKey{Layer: layer, Point: p}]; a != nil {
			a.ref = append(a.ref, data[:rows*cols]...)
		}
	})
	if err := ref.Forward(st, r.probe, logits); err != nil {
		return nil, err
	}
	hook, err := quant.NewActHook(cfg, c.Acts)
	if err != nil {
		return nil, err
	}
	var buf []float32
	var bad error
	sess := rt.NewSession()
	sess.SetObserver(model.ObserverFunc(func(layer int, p model.Point, rows, cols int, data []float32) {
		a := accs[quant.ActKey{Layer: layer, Point: p}]
		if a == nil {
			return
		}
		n := rows * cols
		buf = append(buf[:0], data[:n]...)
		hook.Act(layer, p, rows, cols, buf)
		if a.pos+n > len(a.ref) {
			bad = fmt.Errorf("activation %v of layer %d: the runtime reports more values than the FP32 engine", p, layer)
			return
		}
		for j, q := range buf {
			x := float64(a.ref[a.pos+j])
			a.sig += x * x
			a.noise += (x - float64(q)) * (x - float64(q))
		}
		a.pos += n
	}))
	if err := sess.Forward(r.probe, logits); err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	out := &SQNR{}
	var pts []model.Point
	for _, p := range model.Points() {
		for k := range c.Acts {
			if k.Point == p {
				pts = append(pts, p)
				break
			}
		}
	}
	for _, p := range pts {
		out.Points = append(out.Points, p.String())
	}
	for l := range cfg.NLayer + 1 {
		layer := l
		if l == cfg.NLayer {
			layer = -1
		}
		row := make([]*float64, len(pts))
		any := false
		for j, p := range pts {
			a := accs[quant.ActKey{Layer: layer, Point: p}]
			if a == nil || a.pos == 0 {
				continue
			}
			db := 120.0
			if a.noise > 0 {
				db = min(db, 10*math.Log10(a.sig/a.noise))
			}
			row[j] = &db
			any = true
		}
		if any || layer >= 0 {
			out.Layers = append(out.Layers, layer)
			out.DB = append(out.DB, row)
		}
	}
	return out, nil
}

// hadamardFigure returns the per-channel max |x| of the FP32 engine's
// out_proj input, before and after the d_inner Hadamard, at the layer with
// the largest ratio of max to mean channel max (nil when d_inner has no
// Hadamard).
func (r *runner) hadamardFigure(fp *model.Model) (*HadamardFigure, error) {
	cfg := r.w.Config
	E := cfg.DInner
	if hadamard.Check(E) != nil {
		return nil, nil
	}
	before := make([][]float64, cfg.NLayer)
	after := make([][]float64, cfg.NLayer)
	for i := range before {
		before[i], after[i] = make([]float64, E), make([]float64, E)
	}
	row := make([]float32, E)
	var bad error
	st := fp.NewState()
	st.Observer = model.ObserverFunc(func(layer int, p model.Point, rows, cols int, data []float32) {
		if p != model.PointOutProjInput || layer < 0 {
			return
		}
		for t := range rows {
			x := data[t*cols : (t+1)*cols]
			copy(row, x)
			if err := hadamard.Transform(row); err != nil {
				bad = err
				return
			}
			for c := range E {
				before[layer][c] = max(before[layer][c], math.Abs(float64(x[c])))
				after[layer][c] = max(after[layer][c], math.Abs(float64(row[c])))
			}
		}
	})
	if err := fp.Forward(st, r.probe, nil); err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	best, bestRatio := 0, 0.0
	for l, b := range before {
		var mx, sum float64
		for _, v := range b {
			mx, sum = max(mx, v), sum+v
		}
		if ratio := mx / max(sum/float64(E), 1e-30); ratio > bestRatio {
			best, bestRatio = l, ratio
		}
	}
	return &HadamardFigure{Layer: best, Before: before[best], After: after[best]}, nil
}

// relPath is p relative to the working directory when it lies below it
// (reports then do not depend on where the tree is checked out).
func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

func relPaths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = relPath(p)
	}
	return out
}
