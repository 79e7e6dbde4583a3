package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/tokenizer"
)

const bundledCalib = "testdata/shakespeare-calib.txt"

func quantizeCommand() *cli.Command {
	return &cli.Command{
		Name:  "quantize",
		Usage: "calibrate, transform and quantize a checkpoint into a .gguf artifact",
		Description: "Schemes: naive-w8a8 (static per-tensor baseline), quamba (Quamba v1: percentile-clipped x, Hadamard\n" +
			"before out_proj), w8a8, w4a8, w4a16 (Quamba2: rotated residual stream, sort-and-cluster x scales,\n" +
			"per-state-group B/C, GPTQ for 4-bit weights, quantized embedding and lm_head), w4ax (W4A8 or W4A16 per\n" +
			"layer, chosen from measured per-layer sensitivities within --budget or --a8-layers). Every technique has\n" +
			"its own switch. Without flags it quantizes the bundled model with the bundled calibration text.",
		Flags: []cli.Flag{
			modelFlag,
			&cli.StringFlag{Name: "scheme", Value: string(quant.W8A8), Usage: "naive-w8a8, quamba, w8a8, w4a8, w4a16 or w4ax"},
			&cli.Float64Flag{Name: "budget", Usage: "w4ax: allowed predicted increase of the calibration loss, relative, over every layer A16 (default 0.01); the most A8 layers within it"},
			&cli.IntFlag{Name: "a8-layers", Usage: "w4ax: run the K least sensitive layers A8 instead of a budget"},
			&cli.StringFlag{Name: "calib", Usage: "calibration text, plain text or JSONL with a \"text\" field, comma-separated, - for the standard input (default: the bundled Tiny Shakespeare calibration slice)"},
			&cli.IntFlag{Name: "samples", Value: calib.DefaultSamples, Usage: "calibration samples N"},
			&cli.IntFlag{Name: "seqlen", Value: calib.DefaultSeqLen, Usage: "tokens per calibration sample L"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the choice of calibration samples"},
			&cli.BoolFlag{Name: "allow-fewer", Usage: "use every available sample when the text has fewer than --samples (the default for the bundled text)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "artifact path (default: MODEL-SCHEME.gguf in the working directory)"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite the artifact if it exists"},
			&cli.StringFlag{Name: "eval", Usage: "text file (- for the standard input) on which to report FP32 and quantized perplexity, the artifact run by the int8 runtime (must not be calibration text; default for the bundled model: its held-out text)"},
			threadsFlag,
			&cli.BoolFlag{Name: "no-eval", Usage: "skip the perplexity report and the sample generation"},
			&cli.StringFlag{Name: "sample", Usage: "prompt of a short greedy generation from the artifact after writing it (default for the bundled model: \"ROMEO:\")"},
			&cli.IntFlag{Name: "ctx", Usage: "perplexity window for --eval (default: 256 for byte-level models, 2048 otherwise)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bars"},
			// Technique switches: each defaults to the scheme's choice.
			&cli.BoolFlag{Name: "rotate-residual", Usage: "fold norms and rotate the residual stream with a Hadamard"},
			&cli.BoolFlag{Name: "out-hadamard", Usage: "online Hadamard on the out_proj input, fused into out_proj"},
			&cli.Float64Flag{Name: "x-percentile", Usage: "scale the SSM input x from this percentile of |x| (0: its max)"},
			&cli.BoolFlag{Name: "x-clip-search", Usage: "choose the scale of an ungrouped x by a clipping search on its histogram"},
			&cli.BoolFlag{Name: "group-x", Usage: "sort-and-cluster x with one scale per (SSD group, head group, channel group)"},
			&cli.BoolFlag{Name: "group-bc", Usage: "one B/C scale per SSD group"},
			&cli.BoolFlag{Name: "gptq", Usage: "GPTQ for 4-bit in_proj, out_proj and lm_head"},
			&cli.IntFlag{Name: "gptq-samples", Usage: "calibration samples for GPTQ's Hessians (0: all)"},
			&cli.IntFlag{Name: "w4-group", Usage: "4-bit group size: 128, 64 or 32"},
			&cli.BoolFlag{Name: "clip-search", Usage: "search a clip ratio per 4-bit group"},
			&cli.BoolFlag{Name: "state-int8", Usage: "store the SSM state between calls as int8 (per head / 8 channels and state index)"},
			&cli.BoolFlag{Name: "quant-embedding", Usage: "quantize the embedding"},
			&cli.BoolFlag{Name: "quant-lm-head", Usage: "quantize lm_head"},
		},
		Action: runQuantize,
	}
}

// recipeOptions applies the technique switches the user set over the
// scheme's defaults.
func recipeOptions(c *cli.Context) (quant.Options, error) {
	sc, err := quant.ParseScheme(c.String("scheme"))
	if err != nil {
		return quant.Options{}, err
	}
	o, err := quant.DefaultOptions(sc)
	if err != nil {
		return o, err
	}
	bools := map[string]*bool{"rotate-residual": &o.RotateResidual, "out-hadamard": &o.OutHadamard, "group-x": &o.GroupX, "x-clip-search": &o.XClipSearch,
		"group-bc": &o.GroupBC, "gptq": &o.GPTQ, "clip-search": &o.ClipSearch, "state-int8": &o.StateInt8, "quant-embedding": &o.QuantEmbedding,
		"quant-lm-head": &o.QuantLMHead}
	for name, p := range bools {
		if c.IsSet(name) {
			*p = c.Bool(name)
		}
	}
	if c.IsSet("x-percentile") {
		o.XPercentile = c.Float64("x-percentile")
	}
	if c.IsSet("w4-group") {
		o.W4Group = c.Int("w4-group")
	}
	if c.IsSet("gptq-samples") {
		o.GPTQSamples = c.Int("gptq-samples")
	}
	if (c.IsSet("budget") || c.IsSet("a8-layers")) && o.Scheme != quant.W4AX {
		return o, fmt.Errorf("--budget and --a8-layers are for --scheme w4ax")
	}
	if c.IsSet("budget") {
		o.A8Budget = c.Float64("budget")
	}
	if c.IsSet("a8-layers") {
		if o.A8Count = c.Int("a8-layers"); o.A8Count <= 0 {
			return o, fmt.Errorf("--a8-layers %d: want a positive count", o.A8Count)
		}
	}
	return o, nil
}

func runQuantize(c *cli.Context) error {
	start := time.Now()
	if err := setThreads(c); err != nil {
		return err
	}
	// Compiling keeps a model-sized live heap and replaces tensors as it
	// goes: with the default GOGC of 100 the garbage could grow to another
	// model before a collection. Collect at 20% growth instead.
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	opt, err := recipeOptions(c)
	if err != nil {
		return err
	}
	dir, err := modelDir(c)
	if err != nil {
		return err
	}
	if quant.IsArtifact(dir) {
		return fmt.Errorf("%s is already a quantized artifact; quantize takes a checkpoint directory", dir)
	}
	out := c.String("out")
	if out == "" {
		out = fmt.Sprintf("%s-%s.gguf", filepath.Base(filepath.Clean(dir)), opt.Scheme)
	}
	if err := checkWritable(out, c.Bool("force")); err != nil {
		return err
	}
	logf(c, "loading %s ...", dir)
	files, err := formats.OpenModel(dir)
	if err != nil {
		return err
	}
	weightsPath := files.Checkpoint.Path()
	w, err := model.NewWeights(files.Config, files)
	files.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	debug.FreeOSMemory() // the checkpoint's mapping and read buffers are gone
	if err := opt.Check(w.Config); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	tok, tokDesc, err := tokenizerFor(dir, w.Config)
	if err != nil {
		return err
	}
	digest, err := dirDigest(dir)
	if err != nil {
		return err
	}
	loadTime, loadRSS := time.Since(start), peakRSS()
	logf(c, "loaded weights %s, tokenizer %s, in %s", weightsPath, tokDesc, loadTime.Round(time.Millisecond))
	// Loading does not watch the context: look at it between the steps.
	if err := c.Context.Err(); err != nil {
		return interrupted(out, err)
	}

	// The evaluation text is read before the long steps, so that a missing
	// file (or the standard input) fails first.
	evalPath, sample := c.String("eval"), c.String("sample")
	if c.String(modelFlag.Name) == "" && !c.Bool("no-eval") {
		// The bundled model: show what quantization cost and what the
		// artifact writes.
		if evalPath == "" {
			if evalPath, err = bundledPath(bundledHeldout); err != nil {
				return err
			}
		}
		if sample == "" {
			sample = "ROMEO:"
		}
	}
	if c.Bool("no-eval") {
		evalPath, sample = "", ""
	}
	var evalText []byte
	if evalPath != "" {
		if evalText, err = readInput(c, "eval", evalPath); err != nil {
			return err
		}
	}

	// Calibration text.
	calibFiles := splitList(c.String("calib"))
	allowFewer := c.Bool("allow-fewer")
	if len(calibFiles) == 0 {
		p, err := bundledPath(bundledCalib)
		if err != nil {
			return fmt.Errorf("no --calib given and %w; pass --calib FILE", err)
		}
		calibFiles, allowFewer = []string{p}, true
	}
	bundled := c.String("calib") == ""
	var ds *calib.Dataset
	if opt.ABits == 8 || opt.GPTQ || opt.ClipSearch {
		var sp spooled
		defer sp.close()
		if calibFiles, err = sp.spool(c, "calib", calibFiles); err != nil {
			return err
		}
		ds, err = calib.LoadData(calib.DataConfig{Files: calibFiles, Tokenizer: tok, Samples: c.Int("samples"),
			SeqLen: c.Int("seqlen"), Seed: c.Uint64("seed"), AllowFewer: allowFewer})
		if err != nil {
			return sp.err(err)
		}
		if bundled {
			// Recorded relative to the source tree, so that the artifact
			// does not depend on where the tree is checked out.
			ds.Summary.Files = []string{bundledCalib}
		}
		for i, f := range ds.Summary.Files {
			ds.Summary.Files[i] = sp.name(f)
		}
		if err := c.Context.Err(); err != nil {
			return interrupted(out, err)
		}
	}

	stderr := stderrOf(c)
	bars := barsOn(c, c.Bool("quiet"))
	var bar *progressbar.ProgressBar
	var times []stageTime
	progress := func(s quant.Stage) {
		switch {
		case s.Finished:
			if bar != nil {
				bar.Finish()
				bar = nil
			}
			times = append(times, stageTime{s.Name, s.Elapsed, peakRSS()})
			fmt.Fprintf(stderr, "%-18s done in %s (peak RSS %s)\n", s.Name, s.Elapsed.Round(time.Millisecond), humanBytes(peakRSS()))
		case s.Total == 0:
			fmt.Fprintf(stderr, "%-18s ...\n", s.Name)
		case bars:
			if bar == nil || bar.GetMax() != s.Total {
				desc := s.Name
				if s.Calib != nil {
					desc += " (samples)"
				}
				bar = newBar(c, s.Total, desc)
			}
			if s.Calib != nil && s.Calib.Elapsed > 0 {
				bar.Describe(fmt.Sprintf("%s (%.0f tokens/s)", s.Name, float64(s.Calib.Tokens)/s.Calib.Elapsed.Seconds()))
			}
			bar.Set(s.Done)
		}
	}
	var calibTokens int64
	var calibTime time.Duration
	// Without --eval the source weights are not needed again: compile them
	// in place (one copy of the weights less), and since the compiled model
	// is only written (the sample runs from the artifact), release each
	// tensor's float32 values once it is quantized.
	inPlace := evalPath == ""
	compiled, err := quant.Compile(c.Context, w, ds, opt, quant.CompileOptions{SourceDigest: digest, InPlace: inPlace, WriteOnly: inPlace, Progress: func(s quant.Stage) {
		if s.Calib != nil && s.Calib.Done == s.Calib.Total {
			calibTokens += s.Calib.TotalTokens
			calibTime += s.Calib.Elapsed
		}
		progress(s)
	}})
	if bar != nil {
		bar.Finish()
	}
	if cerr := c.Context.Err(); cerr != nil {
		return interrupted(out, cerr)
	}
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := writeArtifact(c.Context, out, compiled, filepath.Base(filepath.Clean(dir))); err != nil {
		return err
	}
	times = append(times, stageTime{"write", time.Since(t0), peakRSS()})
	times = append([]stageTime{{"load", loadTime, loadRSS}}, times...)
	printQuantizeSummary(c.App.Writer, dir, out, w.Config, compiled, times, calibTokens, calibTime, ds)

	if evalPath == "" && sample == "" {
		return nil
	}
	rt, err := runtime.Open(out, runtime.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	if evalPath != "" {
		logf(c, "perplexity of FP32 and %s on %s ...", opt.Scheme, inputName(evalPath))
		if err := quantizeEval(c.Context, c.App.Writer, inputName(evalPath), evalText, c.Int("ctx"), w, rt, tok); err != nil {
			return err
		}
	}
	if sample != "" {
		return quantizeSample(c.App.Writer, rt, tok, sample, 64)
	}
	return nil
}

// writeArtifact writes the artifact to a temporary file beside path and
// renames it to path only if ctx is still live once the file is complete:
// an interrupted run leaves neither a partial artifact nor the temporary
// file, and an artifact it would have replaced (--force) stays as it was.
func writeArtifact(ctx context.Context, path string, cm *quant.Compiled, name string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := quant.WriteArtifact(tmp, cm, name); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return interrupted(path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// interrupted is the error of a quantize run stopped by a signal before
// the artifact at path was written.
func interrupted(path string, err error) error {
	return fmt.Errorf("%s not written, nothing left behind: %w", path, err)
}

// quantizeSample prints a greedy continuation of prompt by the runtime.
func quantizeSample(out io.Writer, rt *runtime.Model, tok tokenizer.Tokenizer, prompt string, n int) error {
	ids := tok.Encode(prompt)
	if len(ids) == 0 {
		return fmt.Errorf("--sample: the prompt is empty")
	}
	V, P := rt.Vocab()
	gen, err := model.Greedy(rt.NewSession(), V, P, ids, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "sample (int8 runtime, greedy, %d tokens):\n%s%s\n", n, prompt, tok.Decode(gen))
	return nil
}

type stageTime struct {
	name string
	d    time.Duration
	rss  int64 // peak RSS of the process at the end of the stage
}

func printQuantizeSummary(out io.Writer, dir, path string, cfg formats.Config, cm *quant.Compiled, times []stageTime,
	calibTokens int64, calibTime time.Duration, ds *calib.Dataset) {
	fpBytes := 4 * cfg.ParamCount()
	var qBytes int64
	if st, err := os.Stat(path); err == nil {
		qBytes = st.Size()
	}
	var total time.Duration
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s (%s, d_model %d, %d layers)\n", dir, cfg.Arch, cfg.DModel, cfg.NLayer)
	fmt.Fprintf(tw, "recipe\t%s\n", cm.Options)
	if ds != nil {
		fmt.Fprintf(tw, "calibration\t%d samples x %d tokens (%d tokens) from %s, seed %d\n", ds.Summary.Samples, ds.Summary.SeqLen,
			ds.Summary.Tokens, strings.Join(ds.Summary.Files, ", "), ds.Summary.Seed)
	}
	if calibTime > 0 {
		fmt.Fprintf(tw, "calibration speed\t%.0f tokens/s\n", float64(calibTokens)/calibTime.Seconds())
	}
	if s := cm.Options.W4AX; s != nil {
		fmt.Fprintf(tw, "w4ax\tA8 layers %v of %d: calibration loss %.5f predicted, %.5f measured (all A16 %.5f, all A8 %.5f)\n",
			s.Chosen.Layers, cfg.NLayer, s.Chosen.Predicted, s.Measured, s.LossA16, s.LossA8)
	}
	fmt.Fprintf(tw, "artifact\t%s\n", path)
	fmt.Fprintf(tw, "size\t%s FP32 -> %s (%.2fx smaller)\n", humanBytes(fpBytes), humanBytes(qBytes), float64(fpBytes)/float64(max(qBytes, 1)))
	fmt.Fprintf(tw, "bits per weight\t%.2f (all parameters), %s\n", 8*float64(qBytes)/float64(cfg.ParamCount()), bitsByKind(cm))
	for _, t := range times {
		rss := ""
		if t.rss > 0 {
			rss = fmt.Sprintf(" (peak RSS %s)", humanBytes(t.rss))
		}
		fmt.Fprintf(tw, "time %s\t%s%s\n", t.name, t.d.Round(time.Millisecond), rss)
		total += t.d
	}
	fmt.Fprintf(tw, "time total\t%s\n", total.Round(time.Millisecond))
	if r := peakRSS(); r > 0 {
		fmt.Fprintf(tw, "peak RSS\t%s\n", humanBytes(r))
	}
	tw.Flush()
}

// bitsByKind is the storage bits per weight of the quantized tensors,
// grouped by projection kind.
func bitsByKind(cm *quant.Compiled) string {
	type acc struct{ bits, n float64 }
	kinds := map[string]*acc{}
	for name, q := range cm.Quantized {
		k := name[strings.LastIndex(strings.TrimSuffix(name, ".weight"), ".")+1:]
		k = strings.TrimSuffix(k, ".weight")
		var n float64
		if q.W8 != nil {
			n = float64(q.W8.Rows * q.W8.Cols)
		} else {
			n = float64(q.W4.Rows * q.W4.Cols)
		}
		if kinds[k] == nil {
			kinds[k] = &acc{}
		}
		kinds[k].bits += q.BitsPerWeight() * n
		kinds[k].n += n
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, kinds[k].bits/kinds[k].n))
	}
	return strings.Join(parts, ", ")
}

// quantizeEval reports the perplexity of the FP32 model and of the artifact
// text, which path names.
func quantizeEval(ctx context.Context, out io.Writer, path string, text []byte, ctxLen int, w *model.Weights, rt *runtime.Model, tok interface{ Encode(string) []int }) error {
	toks := tok.Encode(string(text))
	if ctxLen == 0 {
		ctxLen = 2048
		if w.Config.VocabSize <= 256 {
			ctxLen = 256
		}
	}
	fp, err := model.Build(w, model.Stages{})
	if err != nil {
		return err
	}
	ref, err := model.Perplexity(ctx, fp, toks, ctxLen, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	q, err := model.Perplexity(ctx, rt, toks, ctxLen, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(out, "perplexity on %s (%d tokens, windows of %d): FP32 %.4f, %s %.4f (%+.2f%%, int8 runtime)\n", path, ref.Predictions,
		ctxLen, ref.PPL(), rt.Info().Options.Scheme, q.PPL(), 100*(q.PPL()/ref.PPL()-1))
	return nil
}

// checkWritable fails early, before any work, when the artifact cannot be
// written: its directory is missing or not writable, the path is a
// directory or a special file, or it exists and force is false.
func checkWritable(path string, force bool) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("--out %s is not a regular file", path)
	}
	if _, err := os.Lstat(path); err == nil && !force {
		return fmt.Errorf("%s already exists; pass --force to overwrite it or --out to write elsewhere", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".quamba-write-check-*")
	if err != nil {
		return fmt.Errorf("--out %s cannot be written: %w", path, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// dirDigest identifies a checkpoint: the xxhash64 of the names and bytes of
// its config.json and weight files, in name order.
func dirDigest(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	h := xxhash.New()
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !(n == formats.ConfigFile || strings.HasSuffix(n, ".safetensors") ||
			strings.HasSuffix(n, ".bin") || strings.HasSuffix(n, ".index.json")) {
			continue
		}
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return "", err
		}
		h.WriteString(n)
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %w", filepath.Join(dir, n), err)
		}
	}
	return fmt.Sprintf("xxhash64:%016x", h.Sum64()), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
