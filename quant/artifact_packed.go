package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/kernels"
	"github.com/quamba/quamba/model"
)

// Packed is an artifact opened for the int8 runtime: the compiled model
// with its projections left where the file holds them, as the kernels'
// packed panels (kernels.W8FromPanels / W4FromPanels views of the mapped
// bytes, no copy), and the quantized embedding as its stored codes.
//
// Compiled.Weights lacks the tensors Packed holds (they are nil) and views
// the file's float tensors: everything lives as long as the Packed, until
// Close. Quantized holds the small quantized tensors only (conv1d, A_log,
// D), dequantized into Weights as ReadArtifact does.
type Packed struct {
	*Compiled

	// Stages holds the projection stages stored as panels.
	Stages map[StageKey]PackedStage
	// Embedding is the quantized embedding, or nil when Weights.Embedding
	// holds it in float.
	Embedding *PackedEmbedding

	file *formats.GGUFFile
}

// StageKey names a projection stage (model.Projections): a layer (-1 for
// lm_head) and its name.
type StageKey struct {
	Layer int
	Name  model.ProjName
}

// PackedStage is one projection stage as the kernels take it: int8 panels
// W8 with one float scale per output row (Scale), or 4-bit panels W4
// (scales inside).
type PackedStage struct {
	W8    *kernels.W8
	Scale []float32 // W8: [rows]
	W4    *kernels.W4
}

// PackedEmbedding is a quantized embedding [V, D] stored row-major: int8
// codes with one scale per row (Q8, Scale), or 4-bit codes, two per byte,
// low nibble first (Q4), with Group-wide group scales [V, D/Group] and row
// scales [V]: ŵ = float32(rs·gs)·(q-8), the arithmetic of W4Tensor.
type PackedEmbedding struct {
	D          int
	Q8         []int8
	Scale      []float32
	Q4         []byte
	Group      int
	GroupScale []float32
	RowScale   []float32
}

// Row writes the dequantized embedding of token tok into dst [D], with the
// values ReadArtifact's Weights.Embedding holds.
func (e *PackedEmbedding) Row(tok int, dst []float32) {
	D := e.D
	if e.Q8 != nil {
		s := e.Scale[tok]
		for j, q := range e.Q8[tok*D : (tok+1)*D] {
			dst[j] = float32(q) * s
		}
		return
	}
	rb := (D + 1) / 2
	row := e.Q4[tok*rb : (tok+1)*rb]
	ng := (D + e.Group - 1) / e.Group
	rs := e.RowScale[tok]
	for j := range D {
		q := row[j/2] >> (4 * (j % 2)) & 15
		dst[j] = float32(rs*e.GroupScale[tok*ng+j/e.Group]) * float32(int(q)-8)
	}
}

// OpenPacked opens an artifact file for the runtime (memory-mapped; the
// checksum is verified unless opts say otherwise). Every inconsistency is
// an error naming the file and the tensor or key.
func OpenPacked(path string, opts ...formats.GGUFOptions) (*Packed, error) {
	g, err := formats.OpenGGUF(path, opts...)
	if err != nil {
		return nil, err
	}
	p, err := newPacked(g)
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePacked is OpenPacked over bytes (for example go:embed), which must
// stay unchanged while the Packed is in use.
func ParsePacked(name string, data []byte, opts ...formats.GGUFOptions) (*Packed, error) {
	g, err := formats.ParseGGUF(name, data, opts...)
	if err != nil {
		return nil, err
	}
	p, err := newPacked(g)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

func newPacked(g *formats.GGUFFile) (*Packed, error) {
	p := &Packed{Stages: map[StageKey]PackedStage{}, file: g}
	c, err := readArtifact(g, p)
	if err != nil {
		return nil, err
	}
	p.Compiled = c
	return p, nil
}

// Close unmaps the file: nothing of p may be used afterwards.
func (p *Packed) Close() error { return p.file.Close() }

// WeightBytes is the size of the stored projection panels.
func (p *Packed) WeightBytes() int {
	n := 0
	for _, s := range p.Stages {
		if s.W8 != nil {
			n += s.W8.Bytes() + 4*len(s.Scale)
		} else {
			n += s.W4.Bytes()
		}
	}
	return n
}

// readStages wraps the panels of every projection stage of tensor name.
func (p *Packed) readStages(g *formats.GGUFFile, name string, splits []model.ProjSplit, known map[string]bool) error {
	w8 := hasTensor(g, name+".q8.scale")
	var rowScale []float32
	if w8 {
		last := splits[len(splits)-1]
		rows := last.Row0 + last.Rows
		// The scales, expanded to one per row (readW8Scales without codes).
		t, err := readW8Scales(g, name, &W8Tensor{Rows: rows, Cols: last.Cols}, known)
		if err != nil {
			return err
		}
		rowScale = t.RowScales()
	} else {
		shape, err := g.Int32s("quamba.q4." + name)
		if err != nil {
			return err
		}
		last := splits[len(splits)-1]
		if !slices.Equal(shape, []int32{int32(last.Row0 + last.Rows), int32(last.Cols), kernels.W4Group}) {
			return fmt.Errorf("quamba.q4.%s is %v, want [%d %d %d]", name, shape, last.Row0+last.Rows, last.Cols, kernels.W4Group)
		}
	}
	for _, sp := range splits {
		pn := panelName(sp)
		key := StageKey{sp.Layer, sp.Name}
		if w8 {
			data, err := g.TensorI8(pn)
			if err != nil {
				return err
			}
			sums, err := g.TensorI32(pn + ".rowsum")
			if err != nil {
				return err
			}
			// A verified checksum says the panels are the writer's, made by
			// kernels.PackW8: wrapping them costs nothing per weight.
			// Otherwise every weight and row sum is checked.
			wrap := kernels.W8FromPanels
			if g.Verified() {
				wrap = kernels.W8FromPanelsTrusted
			}
			w, err := wrap(sp.Rows, sp.Cols, data, sums)
			if err != nil {
				return fmt.Errorf("tensor %s: %w", pn, err)
			}
			p.Stages[key] = PackedStage{W8: w, Scale: rowScale[sp.Row0 : sp.Row0+sp.Rows]}
			known[pn], known[pn+".rowsum"] = true, true
			continue
		}
		codes, err := g.Tensor(pn)
		if err != nil {
			return err
		}
		gs, err := g.TensorF32(pn + ".gs")
		if err != nil {
			return err
		}
		rs, err := g.TensorF32(pn + ".rs")
		if err != nil {
			return err
		}
		for j, v := range append(slices.Clone(gs), rs...) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
				return fmt.Errorf("tensor %s: scale %d is %v", pn, j, v)
			}
		}
		w, err := kernels.W4FromPanels(sp.Rows, sp.Cols, codes, gs, rs)
		if err != nil {
			return fmt.Errorf("tensor %s: %w", pn, err)
		}
		p.Stages[key] = PackedStage{W4: w}
		known[pn], known[pn+".gs"], known[pn+".rs"] = true, true, true
	}
	return nil
}

// readEmbedding views the quantized embedding's codes and scales.
func (p *Packed) readEmbedding(g *formats.GGUFFile, name string, known map[string]bool) error {
	cfg, err := artifactConfig(g)
	if err != nil {
		return err
	}
	V, D := cfg.PaddedVocab, cfg.DModel
	e := &PackedEmbedding{D: D}
	if hasTensor(g, name+".q8") {
		info, _ := g.TensorInfo(name + ".q8")
		if !slices.Equal(info.Shape, []int{V, D}) {
			return fmt.Errorf("tensor %s.q8 has shape %v, want [%d %d]", name, info.Shape, V, D)
		}
		if e.Q8, err = g.TensorI8(name + ".q8"); err != nil {
			return err
		}
		known[name+".q8"] = true
		t, err := readW8Scales(g, name, &W8Tensor{Rows: V, Cols: D}, known)
		if err != nil {
			return err
		}
		e.Scale = t.RowScales()
		p.Embedding = e
		return nil
	}
	shape, err := g.Int32s("quamba.q4." + name)
	if err != nil {
		return err
	}
	if len(shape) != 3 || shape[0] != int32(V) || shape[1] != int32(D) || (shape[2] != 128 && shape[2] != 64 && shape[2] != 32) {
		return fmt.Errorf("quamba.q4.%s is %v, want [%d %d 128|64|32]", name, shape, V, D)
	}
	e.Group = int(shape[2])
	if info, _ := g.TensorInfo(name + ".q4"); !slices.Equal(info.Shape, []int{V, (D + 1) / 2}) {
		return fmt.Errorf("tensor %s.q4 has shape %v, want [%d %d]", name, info.Shape, V, (D+1)/2)
	}
	if e.Q4, err = g.Tensor(name + ".q4"); err != nil {
		return err
	}
	ng := (D + e.Group - 1) / e.Group
	if e.GroupScale, err = tensorF32(g, name+".q4.group_scale", V, ng); err != nil {
		return err
	}
	if e.RowScale, err = tensorF32(g, name+".q4.row_scale", V); err != nil {
		return err
	}
	for j, v := range append(slices.Clone(e.GroupScale), e.RowScale...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
			return fmt.Errorf("tensor %s.q4: scale %d is %v", name, j, v)
		}
	}
	known[name+".q4"], known[name+".q4.group_scale"], known[name+".q4.row_scale"] = true, true, true
	p.Embedding = e
	return nil
}

// artifactConfig reads the model configuration of an artifact.
func artifactConfig(g *formats.GGUFFile) (formats.Config, error) {
	cj, err := g.String("quamba.config_json")
	if err != nil {
		return formats.Config{}, err
	}
	return formats.ParseConfig([]byte(cj), "quamba.config_json")
}
