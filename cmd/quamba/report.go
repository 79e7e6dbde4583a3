package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/report"
)

const defaultReportSchemes = "fp,naive-w8a8,quamba,w8a8,w4a8,w4a16,w4ax"

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "quantize a model with several schemes, measure each on the int8 runtime, write report.md, report.json and report.html",
		Description: "Per scheme: perplexity on every --eval text and its change vs FP32, LAMBADA last-word accuracy (--lambada),\n" +
			"artifact size and bits per weight, prefill and decode tokens/s, a verdict; report.html adds perplexity vs bits per\n" +
			"weight, the per-layer SQNR of the quantized activations, the out_proj input before and after the Hadamard and the\n" +
			"W4AX choice per layer. --check FILE --max-ppl-drop 1% exits non-zero when a scheme loses more; --from FILE\n" +
			"renders report.md and report.html again from a report.json without running a model.",
		Flags: []cli.Flag{
			modelFlag,
			&cli.StringFlag{Name: "schemes", Value: defaultReportSchemes, Usage: "comma-separated schemes (fp, the FP32 engine, is always measured)"},
			&cli.StringFlag{Name: "calib", Usage: "calibration text, comma-separated, - for the standard input (default: the bundled calibration slice)"},
			&cli.IntFlag{Name: "samples", Value: calib.DefaultSamples, Usage: "calibration samples"},
			&cli.IntFlag{Name: "seqlen", Value: calib.DefaultSeqLen, Usage: "tokens per calibration sample"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the choice of calibration samples"},
			&cli.BoolFlag{Name: "allow-fewer", Usage: "use every available sample when the text has fewer than --samples (the default for the bundled text)"},
			&cli.StringFlag{Name: "eval", Usage: "evaluation text(s), comma-separated, - for the standard input (default for the bundled models: the held-out text)"},
			&cli.StringFlag{Name: "lambada", Usage: "LAMBADA JSONL ({\"text\": ...} per line, the target is the last word), - for the standard input"},
			&cli.IntFlag{Name: "lambada-limit", Usage: "evaluate only the first N LAMBADA examples"},
			&cli.IntFlag{Name: "ctx", Usage: "perplexity window (default: 256 for byte-level models, 2048 otherwise)"},
			&cli.StringSliceFlag{Name: "artifact", Usage: "an already quantized artifact to measure instead of quantizing its scheme (repeatable)"},
			&cli.StringFlag{Name: "artifact-dir", Usage: "where the quantized artifacts are written (default: --out)"},
			&cli.Float64Flag{Name: "budget", Usage: "w4ax: allowed predicted increase of the calibration loss, relative"},
			&cli.IntFlag{Name: "a8-layers", Usage: "w4ax: the K least sensitive layers A8 instead of a budget"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output directory of report.md, report.json and report.html"},
			&cli.StringFlag{Name: "check", Usage: "check a report.json against --max-ppl-drop instead of running"},
			&cli.StringFlag{Name: "max-ppl-drop", Value: "1%", Usage: "with --check: the largest allowed perplexity increase vs FP32, in percent"},
			&cli.StringFlag{Name: "from", Usage: "render report.md and report.html from this report.json (into --out, default its directory)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines"},
			threadsFlag,
		},
		Action: runReport,
	}
}

func runReport(c *cli.Context) error {
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	if stderr == nil {
		stderr = os.Stderr
	}
	if p := c.String("check"); p != "" {
		r, err := report.Load(p)
		if err != nil {
			return err
		}
		limit, err := report.ParseDrop(c.String("max-ppl-drop"))
		if err != nil {
			return err
		}
		if v := r.Check(limit); len(v) > 0 {
			for _, x := range v {
				fmt.Fprintln(stderr, x)
			}
			return fmt.Errorf("report check: %d scheme/set pairs exceed +%g%% perplexity", len(v), limit)
		}
		fmt.Fprintf(stdout, "report check: every scheme within +%g%% perplexity of FP32 (%d schemes)\n", limit, len(r.Schemes)-1)
		return nil
	}
	if p := c.String("from"); p != "" {
		r, err := report.Load(p)
		if err != nil {
			return err
		}
		out := c.String("out")
		if out == "" {
			out = filepath.Dir(p)
		}
		return writeReport(stdout, r, out, false)
	}
	out := c.String("out")
	if out == "" {
		return fmt.Errorf("report: pass --out DIR")
	}
	if err := setThreads(c); err != nil {
		return err
	}
	dir, err := modelDir(c)
	if err != nil {
		return err
	}
	if quant.IsArtifact(dir) {
		return fmt.Errorf("%s is a quantized artifact; report takes the checkpoint directory (pass artifacts with --artifact)", dir)
	}
	files, err := formats.OpenModel(dir)
	if err != nil {
		return err
	}
	cfg, weightsPath := files.Config, files.Checkpoint.Path()
	files.Close()
	tok, tokDesc, err := tokenizerFor(dir, cfg)
	if err != nil {
		return err
	}
	if !c.Bool("quiet") {
		logf(c, "model %s: weights %s, tokenizer %s", dir, weightsPath, tokDesc)
	}
	digest, err := dirDigest(dir)
	if err != nil {
		return err
	}
	var schemes []quant.Scheme
	for _, name := range splitList(c.String("schemes")) {
		if name == report.FP {
			continue
		}
		sc, err := quant.ParseScheme(name)
		if err != nil {
			return err
		}
		schemes = append(schemes, sc)
	}
	calibFiles, allowFewer := splitList(c.String("calib")), c.Bool("allow-fewer")
	if len(calibFiles) == 0 {
		p, err := bundledPath(bundledCalib)
		if err != nil {
			return fmt.Errorf("no --calib given and %w; pass --calib FILE", err)
		}
		calibFiles, allowFewer = []string{p}, true
	}
	evals := splitList(c.String("eval"))
	if len(evals) == 0 {
		if c.String(modelFlag.Name) != "" {
			return fmt.Errorf("report: pass --eval FILE (held-out text, never the calibration text)")
		}
		p, err := bundledPath(bundledHeldout)
		if err != nil {
			return err
		}
		evals = []string{p}
	}
	artDir := c.String("artifact-dir")
	if artDir == "" {
		artDir = out
	}
	var sp spooled
	defer sp.close()
	if calibFiles, err = sp.spool(c, "calib", calibFiles); err != nil {
		return err
	}
	if evals, err = sp.spool(c, "eval", evals); err != nil {
		return err
	}
	lambada := c.String("lambada")
	if lambada != "" {
		l, err := sp.spool(c, "lambada", []string{lambada})
		if err != nil {
			return err
		}
		lambada = l[0]
	}
	var progress io.Writer
	if !c.Bool("quiet") {
		progress = stderr
	}
	r, err := report.Run(c.Context, report.Config{Model: dir, Tokenizer: tok, Schemes: schemes, Artifacts: c.StringSlice("artifact"),
		ArtifactDir: artDir, Calib: calibFiles, Samples: c.Int("samples"), SeqLen: c.Int("seqlen"), Seed: c.Uint64("seed"),
		AllowFewer: allowFewer, Budget: c.Float64("budget"), A8Count: c.Int("a8-layers"), SourceDigest: digest, Eval: evals,
		Ctx: c.Int("ctx"), Lambada: lambada, LambadaLimit: c.Int("lambada-limit"), Command: commandLine(),
		Name: sp.name, Progress: progress})
	if err != nil {
		return sp.err(err)
	}
	renameSpooled(r, &sp)
	return writeReport(stdout, r, out, true)
}

// writeReport writes report.md and report.html (and report.json when
// withJSON) into dir.
func writeReport(stdout io.Writer, r *report.Report, dir string, withJSON bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if withJSON {
		if err := r.WriteJSON(filepath.Join(dir, "report.json")); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{"report.md", r.WriteMarkdown}, {"report.html", r.WriteHTML}} {
		path := filepath.Join(dir, f.name)
		fh, err := os.Create(path)
		if err != nil {
			return err
		}
		err = f.write(fh)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	fmt.Fprintf(stdout, "wrote %s\n", strings.Join([]string{filepath.Join(dir, "report.md"), filepath.Join(dir, "report.html")}, ", "))
	return nil
}

// commandLine is the command as run, arguments quoted where needed.
func commandLine() string {
	parts := []string{"quamba"}
	for _, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " \t\"'$*?&;|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// renameSpooled names the standard input "-" (set "stdin") in a report
// instead of its temporary copy.
func renameSpooled(r *report.Report, sp *spooled) {
	for i := range r.Eval {
		if p := sp.name(r.Eval[i].Path); p != r.Eval[i].Path {
			r.Eval[i].Path, r.Eval[i].Name = p, "stdin"
		}
	}
	if r.Lambada != nil {
		r.Lambada.Path = sp.name(r.Lambada.Path)
	}
}
