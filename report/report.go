package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/quamba/quamba/quant"
)

// Schema is the version of the report's JSON form.
const Schema = "quamba-report/1"

// FP is the name of the FP32 reference in Report.Schemes.
const FP = "fp"

// Report is what Run measured (its JSON form is documented in the package
// comment).
type Report struct {
	Schema   string          `json:"schema"`
	Created  string          `json:"created"`
	Command  string          `json:"command"`
	Versions Versions        `json:"versions"`
	Model    ModelInfo       `json:"model"`
	Calib    *Calib          `json:"calib,omitempty"`
	Ctx      int             `json:"ctx"`
	Eval     []EvalSet       `json:"eval"`
	Lambada  *LambadaSet     `json:"lambada,omitempty"`
	Hadamard *HadamardFigure `json:"hadamard,omitempty"`
	Schemes  []Scheme        `json:"schemes"`
}

// Versions identify the software and machine of the run.
type Versions struct {
	Tool           string `json:"tool"`
	Go             string `json:"go"`
	ArtifactFormat int    `json:"artifact_format"`
	Kernels        string `json:"kernels"`
	OS             string `json:"os"`
	Arch           string `json:"arch"`
	CPUs           int    `json:"cpus"`
}

// ModelInfo describes the source model.
type ModelInfo struct {
	Path   string `json:"path"`
	Arch   string `json:"arch"`
	DModel int    `json:"d_model"`
	NLayer int    `json:"n_layer"`
	DInner int    `json:"d_inner"`
	Vocab  int    `json:"vocab"`
	Params int64  `json:"params"`
}

// Calib describes the calibration data of the quantized schemes.
type Calib struct {
	Files   []string `json:"files"`
	Samples int      `json:"samples"`
	SeqLen  int      `json:"seqlen"`
	Tokens  int64    `json:"tokens"`
}

// EvalSet is one evaluation text.
type EvalSet struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Tokens int    `json:"tokens"`
}

// LambadaSet is the LAMBADA file and the examples evaluated.
type LambadaSet struct {
	Path     string `json:"path"`
	Examples int    `json:"examples"`
}

// HadamardFigure is the per-channel max |x| of the out_proj input of one
// layer of the FP32 engine, before and after the d_inner Hadamard.
type HadamardFigure struct {
	Layer  int       `json:"layer"`
	Before []float64 `json:"before"`
	After  []float64 `json:"after"`
}

// Scheme is the measurement of one scheme.
type Scheme struct {
	Name            string            `json:"name"`
	Recipe          string            `json:"recipe"`
	Artifact        string            `json:"artifact,omitempty"`
	Bytes           int64             `json:"bytes"`
	BitsPerWeight   float64           `json:"bits_per_weight"`
	Kinds           map[string]int    `json:"kinds,omitempty"`
	Perplexity      []PPL             `json:"perplexity"`
	Lambada         *Lambada          `json:"lambada,omitempty"`
	PrefillTPS      float64           `json:"prefill_tps"`
	DecodeTPS       float64           `json:"decode_tps"`
	SQNR            *SQNR             `json:"sqnr,omitempty"`
	A8Layers        []int             `json:"a8_layers,omitempty"`
	W4AX            *quant.W4AXSearch `json:"w4ax,omitempty"`
	QuantizeSeconds float64           `json:"quantize_seconds"`
	Verdict         string            `json:"verdict"`
}

// PPL is the perplexity of a scheme on one evaluation set.
type PPL struct {
	Set       string  `json:"set"`
	PPL       float64 `json:"ppl"`
	Change    float64 `json:"change"`
	ChangePct float64 `json:"change_pct"`
}

// Lambada is a scheme's LAMBADA last-word accuracy.
type Lambada struct {
	Correct  int     `json:"correct"`
	Total    int     `json:"total"`
	Accuracy float64 `json:"accuracy"`
}

// SQNR is the signal-to-quantization-noise ratio, in dB, of each quantized
// activation: DB[i][j] for layer Layers[i] (-1: lm_head) and point
// Points[j], nil where the activation is not quantized.
type SQNR struct {
	Points []string     `json:"points"`
	Layers []int        `json:"layers"`
	DB     [][]*float64 `json:"db"`
}

// Load reads a report.json.
func Load(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if major(r.Schema) != major(Schema) {
		return nil, fmt.Errorf("%s: schema %q, this quamba reads %q", path, r.Schema, Schema)
	}
	return &r, nil
}

func major(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		if j := strings.Index(s[i:], "."); j >= 0 {
			return s[:i+j]
		}
	}
	return s
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Scheme returns the scheme named name, or nil.
func (r *Report) Scheme(name string) *Scheme {
	for i := range r.Schemes {
		if r.Schemes[i].Name == name {
			return &r.Schemes[i]
		}
	}
	return nil
}

// ParseDrop reads a perplexity limit: "1%" or "1" is one percent.
func ParseDrop(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64)
	if err != nil || v < 0 || math.IsNaN(v) {
		return 0, fmt.Errorf("perplexity drop %q: want a percentage such as 1%%", s)
	}
	return v, nil
}

// Violation is a scheme whose perplexity change exceeds a limit.
type Violation struct {
	Scheme, Set      string
	ChangePct, Limit float64
}

func (v Violation) String() string {
	return fmt.Sprintf("%s on %s: perplexity %+.2f%% vs FP32, limit +%g%%", v.Scheme, v.Set, v.ChangePct, v.Limit)
}

// Check returns every (scheme, evaluation set) whose perplexity rises by
// more than maxPct percent over FP32 (or whose perplexity is not a number).
func (r *Report) Check(maxPct float64) []Violation {
	var out []Violation
	for _, s := range r.Schemes {
		if s.Name == FP {
			continue
		}
		for _, p := range s.Perplexity {
			if p.ChangePct > maxPct || math.IsNaN(p.PPL) {
				out = append(out, Violation{s.Name, p.Set, p.ChangePct, maxPct})
			}
		}
	}
	return out
}

// verdict is the one-line judgement of a scheme against fp.
func verdict(s, fp *Scheme) string {
	if s.Name == FP {
		return "reference (FP32 engine)"
	}
	if len(s.Perplexity) == 0 {
		return "not measured"
	}
	worst := s.Perplexity[0].ChangePct
	for _, p := range s.Perplexity {
		worst = max(worst, p.ChangePct)
	}
	var acc string
	switch {
	case worst <= 0.5:
		acc = "near-lossless"
	case worst <= 2:
		acc = "small loss"
	case worst <= 5:
		acc = "noticeable loss"
	default:
		acc = "large loss"
	}
	line := fmt.Sprintf("%s (%+.2f%% perplexity)", acc, worst)
	if fp != nil && fp.Bytes > 0 && s.Bytes > 0 {
		line += fmt.Sprintf(", %.1fx smaller", float64(fp.Bytes)/float64(s.Bytes))
	}
	if fp != nil && fp.DecodeTPS > 0 && s.DecodeTPS > 0 {
		line += fmt.Sprintf(", decode %.2fx and prefill %.2fx FP32", s.DecodeTPS/fp.DecodeTPS, s.PrefillTPS/fp.PrefillTPS)
	}
	return line
}
