package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/kernels"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "prefill and decode speed of a model against the machine's DRAM read bandwidth (median of several runs)",
		Description: "--model is an FP32 checkpoint directory (FP32 engine) or a .gguf artifact (integer runtime,\n" +
			"memory-mapped). --arch instead builds a random checkpoint of an official model's shapes (" +
			strings.Join(model.PresetNames(), ", ") + ")\n" +
			"and measures the FP32 engine, or with --scheme quantizes it first with synthetic scales\n" +
			"(round-to-nearest weights, activation scales from random tokens; quant.CompileSynthetic), writes the\n" +
			"artifact to a temporary file and measures it through the runtime exactly as a real artifact.\n" +
			"Token ids are random: no tokenizer is needed. The DRAM read bandwidth of the same number of threads is\n" +
			"measured in the same run (kernels.ReadBandwidth); ceiling_share is the decode speed over the speed at\n" +
			"which that bandwidth reads the weights a decode step needs.",
		Flags: []cli.Flag{
			modelFlag,
			noVerifyFlag,
			&cli.StringFlag{Name: "arch", Usage: "benchmark a random checkpoint of this shape instead of --model: " + strings.Join(model.PresetNames(), ", ")},
			&cli.StringFlag{Name: "scheme", Usage: "with --arch: quantize the random checkpoint with this scheme (" + schemeNames() + ") and run the artifact"},
			&cli.Int64Flag{Name: "seed", Value: 0, Usage: "with --arch: seed of the random checkpoint"},
			&cli.IntFlag{Name: "prompt-len", Value: 512, Usage: "prompt tokens processed in sequence mode (one Forward)"},
			&cli.IntFlag{Name: "gen", Value: 128, Usage: "decode steps timed after the prompt"},
			&cli.IntFlag{Name: "runs", Value: 3, Usage: "repetitions; the median is reported"},
			threadsFlag,
			&cli.IntFlag{Name: "batch", Value: 1, Usage: "sequences decoded together (StepBatch); decode tokens/s is then the aggregate"},
			&cli.IntFlag{Name: "dram-mib", Value: 512, Usage: "size of the bandwidth probe's buffer in MiB (much larger than the last-level cache)"},
			&cli.StringFlag{Name: "save-artifact", Usage: "with --scheme: keep the synthetic artifact at this path (bench it again with --model PATH)"},
			jsonFlag,
		},
		Action: runBench,
	}
}

func schemeNames() string {
	var s []string
	for _, sc := range quant.Schemes() {
		s = append(s, string(sc))
	}
	return strings.Join(s, ", ")
}

// benchConfig is the validated command line of bench.
type benchConfig struct {
	model, arch, scheme, save string
	seed                      int64
	promptLen, gen, runs      int
	threads, batch, dramMiB   int
	noVerify, json            bool
	schemeParsed              quant.Scheme
}

func benchFlags(c *cli.Context) (benchConfig, error) {
	bc := benchConfig{
		model: c.String(modelFlag.Name), arch: c.String("arch"), scheme: c.String("scheme"), save: c.String("save-artifact"), seed: c.Int64("seed"),
		promptLen: c.Int("prompt-len"), gen: c.Int("gen"), runs: c.Int("runs"), threads: c.Int(threadsFlag.Name),
		batch: c.Int("batch"), dramMiB: c.Int("dram-mib"), noVerify: c.Bool(noVerifyFlag.Name), json: c.Bool(jsonFlag.Name),
	}
	if c.Args().Len() > 0 {
		return bc, fmt.Errorf("bench takes no arguments (got %q); pass the model with --model or --arch", c.Args().First())
	}
	switch {
	case bc.model != "" && bc.arch != "":
		return bc, errors.New("--model and --arch exclude each other: measure a checkpoint or artifact, or a random model of a shape")
	case bc.scheme != "" && bc.arch == "":
		return bc, errors.New("--scheme needs --arch (it quantizes the random checkpoint; an artifact given with --model has its own scheme)")
	case bc.save != "" && bc.scheme == "":
		return bc, errors.New("--save-artifact needs --arch and --scheme (it keeps the synthetic artifact)")
	case bc.promptLen < 1:
		return bc, fmt.Errorf("--prompt-len %d: want at least 1 token", bc.promptLen)
	case bc.gen < 1:
		return bc, fmt.Errorf("--gen %d: want at least 1 decode step", bc.gen)
	case bc.runs < 1:
		return bc, fmt.Errorf("--runs %d: want at least 1", bc.runs)
	case bc.threads < 0:
		return bc, fmt.Errorf("--threads %d: want a positive count (0: all %d CPUs)", bc.threads, goruntime.NumCPU())
	case bc.batch < 1:
		return bc, fmt.Errorf("--batch %d: want at least 1 sequence", bc.batch)
	case bc.dramMiB < 1:
		return bc, fmt.Errorf("--dram-mib %d: want at least 1", bc.dramMiB)
	}
	if bc.arch != "" {
		if _, err := model.Preset(bc.arch); err != nil {
			return bc, fmt.Errorf("--arch: %w", err)
		}
	}
	if bc.scheme != "" {
		s, err := quant.ParseScheme(bc.scheme)
		if err != nil {
			return bc, fmt.Errorf("--scheme: %w", err)
		}
		bc.schemeParsed = s
	}
	if bc.threads == 0 {
		bc.threads = goruntime.NumCPU()
	}
	return bc, nil
}

// benchResult is what bench measures; --json prints it.
type benchResult struct {
	Model string `json:"model,omitempty"`
	// Weights is the file the weights were loaded from (--model).
	Weights string         `json:"weights,omitempty"`
	Arch    string         `json:"arch"`
	Shape   string         `json:"shape"`
	DModel  int            `json:"d_model"`
	NLayer  int            `json:"n_layer"`
	Engine  string         `json:"engine"`
	Scheme  string         `json:"scheme"`
	Kinds   map[string]int `json:"kernels,omitempty"`
	Tier    string         `json:"tier"`

	Threads   int `json:"threads"`
	Batch     int `json:"batch"`
	PromptLen int `json:"prompt_len"`
	Gen       int `json:"gen"`
	Runs      int `json:"runs"`

	PrefillTokensPerS float64 `json:"prefill_tokens_per_s"`
	DecodeTokensPerS  float64 `json:"decode_tokens_per_s"`
	// WeightBytesPerToken is the weight bytes one decode step (one round of
	// Batch tokens) reads: the projection panels and the embedding row.
	WeightBytesPerToken int64 `json:"weight_bytes_per_token"`
	// StateBytes is one sequence's decode state (conv and SSM), which each
	// decode step reads and writes besides the weights: not in the
	// ceiling, but a Mamba2 with a large d_state moves a sizeable share of
	// its bytes there (mamba2-1.3b: 100 MB of float32 state against 715 MB
	// of W4A8 weights).
	StateBytes     int64   `json:"state_bytes"`
	DRAMReadGBPerS float64 `json:"dram_read_gb_per_s"`
	// CeilingTokensPerS is the decode speed at which DRAMReadGBPerS reads
	// the weights of every step (times Batch).
	CeilingTokensPerS float64 `json:"ceiling_tokens_per_s"`
	CeilingShare      float64 `json:"ceiling_share"`
	// PeakRSSBytes is the peak resident set while the runs executed
	// (Linux; elsewhere the process's peak); ProcessPeakRSSBytes is the
	// peak of the whole command, loading and compiling included (not the
	// bandwidth probe's buffer, mapped after it was read on Linux).
	PeakRSSBytes        int64 `json:"peak_rss_bytes"`
	ProcessPeakRSSBytes int64 `json:"process_peak_rss_bytes"`

	LoadSeconds    float64 `json:"load_seconds"`
	CompileSeconds float64 `json:"compile_seconds,omitempty"`

	PrefillRuns []float64 `json:"prefill_runs_tokens_per_s"`
	DecodeRuns  []float64 `json:"decode_runs_tokens_per_s"`
	DRAMRuns    []float64 `json:"dram_runs_gb_per_s"`
}

func runBench(c *cli.Context) error {
	bc, err := benchFlags(c)
	if err != nil {
		return err
	}
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(bc.threads))

	res := benchResult{Tier: kernels.Active().String(), Threads: bc.threads, Batch: bc.batch,
		PromptLen: bc.promptLen, Gen: bc.gen, Runs: bc.runs}
	t0 := time.Now()
	eng, err := openBenchEngine(bc, &res)
	if err != nil {
		return err
	}
	defer eng.close()
	res.LoadSeconds = time.Since(t0).Seconds() - res.CompileSeconds
	if res.Weights != "" {
		logf(c, "loaded weights %s (%s) in %.2fs", res.Weights, engineName(res.Engine, res.Scheme), res.LoadSeconds)
	}
	cfg := eng.config()
	res.DModel, res.NLayer = cfg.DModel, cfg.NLayer
	if res.Arch == "" {
		res.Arch = string(cfg.Arch)
	}
	res.Shape = fmt.Sprintf("%s, d_model %d, %d layers, vocab %d", cfg.Arch, cfg.DModel, cfg.NLayer, cfg.PaddedVocab)
	res.WeightBytesPerToken = eng.weightBytes()
	res.StateBytes = eng.stateBytes()
	// Read before resetPeakRSS resets the kernel's mark (which getrusage
	// reports too).
	res.ProcessPeakRSSBytes = peakRSS()
	// The loader's and compiler's garbage is not part of the runs' memory.
	goruntime.GC()
	debug.FreeOSMemory()

	rng := rand.New(rand.NewPCG(uint64(bc.seed), 2))
	prompt := make([]int, bc.promptLen)
	for i := range prompt {
		prompt[i] = rng.IntN(cfg.VocabSize)
	}
	toks := make([]int, bc.batch)
	dramBytes := bc.dramMiB << 20
	for r := 0; r < bc.runs; r++ {
		if err := c.Context.Err(); err != nil {
			return err
		}
		// The bandwidth probe runs between the model runs, its buffer
		// mapped only while it reads, so that both see the same machine
		// and the buffer stays out of the runs' resident set.
		bw, err := probeBandwidth(dramBytes, bc.threads)
		if err != nil {
			return err
		}
		res.DRAMRuns = append(res.DRAMRuns, bw/1e9)

		resetPeakRSS()
		eng.reset()
		start := time.Now()
		if err := eng.prefill(prompt); err != nil {
			return err
		}
		res.PrefillRuns = append(res.PrefillRuns, float64(bc.promptLen)/time.Since(start).Seconds())
		start = time.Now()
		for i := 0; i < bc.gen; i++ {
			for b := range toks {
				toks[b] = prompt[(i+b)%bc.promptLen]
			}
			if err := eng.step(toks); err != nil {
				return err
			}
		}
		res.DecodeRuns = append(res.DecodeRuns, float64(bc.gen*bc.batch)/time.Since(start).Seconds())
		res.PeakRSSBytes = max(res.PeakRSSBytes, runPeakRSS())
	}
	res.ProcessPeakRSSBytes = max(res.ProcessPeakRSSBytes, peakRSS())
	res.PrefillTokensPerS = median(res.PrefillRuns)
	res.DecodeTokensPerS = median(res.DecodeRuns)
	res.DRAMReadGBPerS = median(res.DRAMRuns)
	if res.WeightBytesPerToken > 0 {
		res.CeilingTokensPerS = res.DRAMReadGBPerS * 1e9 / float64(res.WeightBytesPerToken) * float64(bc.batch)
		res.CeilingShare = res.DecodeTokensPerS / res.CeilingTokensPerS
	}

	out := c.App.Writer
	if bc.json {
		enc := json.NewEncoder(out)
		return enc.Encode(res)
	}
	return printBench(out, res)
}

// probeBandwidth maps a buffer of n bytes, writes it, reads it with
// threads readers (best of two passes: the first also settles the page
// tables and the clocks) and unmaps it.
func probeBandwidth(n, threads int) (float64, error) {
	buf, free, err := dramBuffer(n)
	if err != nil {
		return 0, fmt.Errorf("bandwidth probe: %w", err)
	}
	defer free()
	for i := 0; i < len(buf); i += 64 {
		buf[i] = byte(i >> 6)
	}
	bw := kernels.ReadBandwidth(buf, threads)
	return max(bw, kernels.ReadBandwidth(buf, threads)), nil
}

func printBench(out interface{ Write([]byte) (int, error) }, r benchResult) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	name := r.Model
	if name == "" {
		name = "random " + r.Arch
	}
	fmt.Fprintf(tw, "model\t%s (%s)\n", name, r.Shape)
	engine := r.Engine
	if r.Scheme != "" && r.Scheme != "fp32" {
		engine += " " + r.Scheme
	}
	if len(r.Kinds) > 0 {
		var ks []string
		for k, n := range r.Kinds {
			ks = append(ks, fmt.Sprintf("%s x%d", k, n))
		}
		sort.Strings(ks)
		engine += " (" + strings.Join(ks, ", ") + ")"
	}
	fmt.Fprintf(tw, "engine\t%s\n", engine)
	fmt.Fprintf(tw, "tier\t%s\n", r.Tier)
	fmt.Fprintf(tw, "threads\t%d\n", r.Threads)
	fmt.Fprintf(tw, "batch\t%d\n", r.Batch)
	fmt.Fprintf(tw, "prefill\t%.1f tokens/s\t(%d-token prompt, median of %d)\n", r.PrefillTokensPerS, r.PromptLen, r.Runs)
	per := ""
	if r.Batch > 1 {
		per = fmt.Sprintf(", %d sequences: %.1f tokens/s each", r.Batch, r.DecodeTokensPerS/float64(r.Batch))
	}
	fmt.Fprintf(tw, "decode\t%.1f tokens/s\t(%d steps, median of %d%s)\n", r.DecodeTokensPerS, r.Gen, r.Runs, per)
	fmt.Fprintf(tw, "weights\t%s\tper decode step\n", humanBytes(r.WeightBytesPerToken))
	fmt.Fprintf(tw, "state\t%s\tper sequence, read and written by every step\n", humanBytes(r.StateBytes))
	fmt.Fprintf(tw, "dram-read\t%.2f GB/s\t(%d threads, median of %d)\n", r.DRAMReadGBPerS, r.Threads, r.Runs)
	fmt.Fprintf(tw, "ceiling\t%.1f tokens/s\t(DRAM read / weight bytes per step)\n", r.CeilingTokensPerS)
	fmt.Fprintf(tw, "ceiling-share\t%.3f\n", r.CeilingShare)
	fmt.Fprintf(tw, "peak-rss\t%s\t(during the runs; process peak %s)\n", humanBytes(r.PeakRSSBytes), humanBytes(r.ProcessPeakRSSBytes))
	if r.CompileSeconds > 0 {
		fmt.Fprintf(tw, "compile\t%.1f s\t(synthetic scales)\n", r.CompileSeconds)
	}
	fmt.Fprintf(tw, "load\t%.2f s\n", r.LoadSeconds)
	return tw.Flush()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// removeLater removes path, reporting failure on stderr (the temporary
// artifact of a synthetic run).
func removeLater(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "quamba: bench:", err)
	}
}
