package quant

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/kernels"
	"github.com/quamba/quamba/model"
)

// The artifact is one GGUF v3 file (formats.WriteGGUF: little endian,
// 64-byte aligned tensor data, xxhash64 checksums of the header and of the
// data section verified on load, required from version 2) holding only
// standard GGML tensor types:
//
// Metadata
//
//	general.architecture      string  "quamba" (not llama.cpp's "mamba": it refuses the file)
//	general.name              string  the source model's name
//	quamba.format_version     uint32  ArtifactVersion
//	quamba.tool_version       string
//	quamba.config_json        string  the model's config.json (formats.MarshalConfig)
//	quamba.scheme             string  the scheme name; quamba.options: Options.String()
//	quamba.w_bits, quamba.a_bits, quamba.w4_group          uint32
//	quamba.rotate_residual, quamba.out_hadamard, quamba.x_clip_search, quamba.group_x, quamba.group_bc,
//	quamba.gptq, quamba.clip_search, quamba.state_int8, quamba.quant_embedding, quamba.quant_lm_head  bool
//	quamba.x_percentile       float64
//	quamba.head_groups, quamba.channel_groups, quamba.gptq_samples  uint32
//	quamba.out_proj_hadamard  bool    the block applies the online Hadamard before out_proj
//	quamba.calib.files        [string]; quamba.calib.format string;
//	quamba.calib.samples, quamba.calib.seqlen uint32; quamba.calib.seed, quamba.calib.tokens uint64
//	quamba.source_digest      string  digest of the source checkpoint
//
// Optional keys (readers treat a missing key as its zero value, so files
// without them read as before):
//
//	quamba.a8_layers          [int32] the layers with int8 activations (Options.A8Layers; absent: every layer)
//	quamba.a8_budget          float64, quamba.a8_count uint32   W4AX: what chose them
//	quamba.w4ax.search        string  W4AX: the search (W4AXSearch) as JSON: per-layer sensitivities,
//	                                  predicted and measured calibration loss, first-k / last-k mixes
//
// Tensors, for every tensor of the model's schema (formats.Config.Schema,
// canonical names, lm_head.weight present whenever the compiled model is
// untied). The projections the block multiplies by (in_proj, x_proj,
// dt_proj, out_proj, lm_head) are stored per projection stage
// (model.Projections: e.g. Mamba1 in_proj as in_proj.x and in_proj.z) in the
// kernels' 16-row panel layout, 64-byte aligned, so that a runtime wraps the
// mapped bytes with kernels.W8FromPanels / W4FromPanels without repacking:
//
//	blk.L.STAGE.q       I8  [NP, KP]           int8: kernels.W8 panels (NP = roundup(rows,16), KP = roundup(cols,4))
//	blk.L.STAGE.q.rowsum I32 [NP]              int8: Σ_k w[n][k] per padded row
//	blk.L.STAGE.q       I8  [NP, KP/2]         4-bit (group 128): kernels.W4 code panels (KP = roundup(cols,128))
//	blk.L.STAGE.q.gs    F32 [NP·KP/128]        4-bit: panel-major group scales
//	blk.L.STAGE.q.rs    F32 [NP]               4-bit: row scales (0 for padding rows)
//	lm_head.q, lm_head.q.rowsum, lm_head.q.gs, lm_head.q.rs  the same for lm_head
//	NAME.q8.scale, NAME.q8.ends                the int8 scales of the whole tensor (below)
//
// Other quantized tensors (embedding, conv1d, A_log, D; and 4-bit groups of
// 64 or 32, which the kernels do not take) are stored row-major:
//
//	NAME                F32 [shape]            a float tensor, as the schema gives it
//	NAME.q8             I8  [rows, cols]       int8 codes in [-127, 127], row-major (W8Tensor)
//	NAME.q8.scale       F32 [scales]           1 (per tensor), one per slice, or one per row
//	NAME.q8.ends        I32 [slices]           exclusive end rows of the slices (per slice only)
//	NAME.q4             I8  [rows, ceil(cols/2)] two 4-bit codes per byte, low nibble first
//	                                           (W4Tensor.PackNibbles; code q means q-8)
//	NAME.q4.group_scale F32 [rows, groups]     groups of quamba.q4_group along cols
//	NAME.q4.row_scale   F32 [rows]             ŵ = float32(rs·gs)·(q-8)
//
// with the logical [rows, cols, group] of every 4-bit tensor in the
// metadata key quamba.q4.NAME ([int32]). A quantized tensor is stored in
// [rows, cols] form: conv1d.weight as [Cc, d_conv], A_log and D as
// [1, n]. Activation scales and reorderings:
//
//	act.L.POINT.scale   F32 [blocks]           L = layer or "lm_head", POINT = model.Point's name
//	act.L.POINT.ends    I32 [blocks]           exclusive end columns of the blocks (ActQuant)
//	blk.L.state.scale   F32 [E/g · N]          int8 SSM state scales (kernels.StateQ8.Scale, g = StateGroup)
//	blk.L.reorder.heads          I32 [H]       Mamba2 head permutation (gather)
//	blk.L.reorder.channels       I32 [E]       channel permutation (gather)
//	blk.L.reorder.head_groups    I32 [..]      per SSD group: count, then its cumulative head ends
//	blk.L.reorder.channel_groups I32 [..]      per head group: count, then its cumulative position ends
//
// The float tensors of quantized weights are not stored: the reader
// rebuilds them from the codes (the values the kernels compute with).

// ArtifactVersion is the artifact layout version this code writes and reads
// (and every older one). Version 2 requires the header checksum
// (formats.GGUFFile.Sealed); version 1 files, written before it existed,
// have the data checksum only.
const ArtifactVersion = 2

// ArtifactArchitecture is the artifact's general.architecture.
const ArtifactArchitecture = "quamba"

// ToolVersion is written into artifacts.
var ToolVersion = "quamba 0.2.0"

// WriteArtifact writes c to path atomically (nothing is left behind on
// failure). The same compiled model always gives the same bytes.
func WriteArtifact(path string, c *Compiled, name string) error {
	cfg := c.Weights.Config
	cfgJSON, err := formats.MarshalConfig(cfg)
	if err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	o := c.Options
	u32 := func(v int) uint32 { return uint32(v) }
	files := slices.Clone(c.Calib.Files)
	if files == nil {
		files = []string{}
	}
	kv := []formats.GGUFKV{
		{Key: "general.architecture", Value: ArtifactArchitecture},
		{Key: "general.name", Value: name},
		{Key: "quamba.format_version", Value: uint32(ArtifactVersion)},
		{Key: "quamba.tool_version", Value: ToolVersion},
		{Key: "quamba.config_json", Value: string(cfgJSON)},
		{Key: "quamba.scheme", Value: string(o.Scheme)},
		{Key: "quamba.options", Value: o.String()},
		{Key: "quamba.w_bits", Value: u32(o.WBits)},
		{Key: "quamba.a_bits", Value: u32(o.ABits)},
		{Key: "quamba.w4_group", Value: u32(o.W4Group)},
		{Key: "quamba.rotate_residual", Value: o.RotateResidual},
		{Key: "quamba.out_hadamard", Value: o.OutHadamard},
		{Key: "quamba.x_percentile", Value: o.XPercentile},
		{Key: "quamba.x_clip_search", Value: o.XClipSearch},
		{Key: "quamba.group_x", Value: o.GroupX},
		{Key: "quamba.head_groups", Value: u32(o.HeadGroups)},
		{Key: "quamba.channel_groups", Value: u32(o.ChannelGroups)},
		{Key: "quamba.group_bc", Value: o.GroupBC},
		{Key: "quamba.gptq", Value: o.GPTQ},
		{Key: "quamba.gptq_samples", Value: u32(o.GPTQSamples)},
		{Key: "quamba.clip_search", Value: o.ClipSearch},
		{Key: "quamba.state_int8", Value: o.StateInt8},
		{Key: "quamba.quant_embedding", Value: o.QuantEmbedding},
		{Key: "quamba.quant_lm_head", Value: o.QuantLMHead},
		{Key: "quamba.out_proj_hadamard", Value: c.Weights.OutProjHadamard},
		{Key: "quamba.calib.files", Value: files},
		{Key: "quamba.calib.format", Value: c.Calib.Format},
		{Key: "quamba.calib.samples", Value: u32(c.Calib.Samples)},
		{Key: "quamba.calib.seqlen", Value: u32(c.Calib.SeqLen)},
		{Key: "quamba.calib.seed", Value: c.Calib.Seed},
		{Key: "quamba.calib.tokens", Value: uint64(c.Calib.Tokens)},
		{Key: "quamba.source_digest", Value: c.SourceDigest},
	}
	mixed, err := mixedKVs(o)
	if err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	kv = append(kv, mixed...)
	projSplits := splitsByTensor(cfg)
	var ts []formats.GGUFTensor
	// Tensors are streamed when the file is written (float32 data, packed
	// panels), so that writing holds no second copy of the model.
	f32 := func(name string, v []float32, shape ...int) {
		ts = append(ts, formats.GGUFTensor{Name: name, Type: formats.GGMLF32, Shape: shape,
			Write: func(w io.Writer) error { return writeF32(w, v) }})
	}
	i32 := func(name string, v []int) {
		b := make([]byte, 4*len(v))
		for j, x := range v {
			binary.LittleEndian.PutUint32(b[4*j:], uint32(int32(x)))
		}
		ts = append(ts, formats.GGUFTensor{Name: name, Type: formats.GGMLI32, Shape: []int{len(v)}, Data: b})
	}
	for _, t := range cfg.Schema() {
		// A quantized tensor is written from its codes alone: its float32
		// values may have been released (CompileOptions.WriteOnly).
		q, ok := c.Quantized[t.Name]
		switch {
		case !ok:
			data, err := c.Weights.Tensor(t.Name)
			if err != nil {
				return fmt.Errorf("write artifact %s: %w", path, err)
			}
			f32(t.Name, data, t.Shape...)
		case q.W8 != nil:
			if splits := projSplits[t.Name]; splits != nil {
				for _, sp := range splits {
					q8 := q.W8
					np, kp := roundUp(sp.Rows, kernels.PanelRows), roundUp(sp.Cols, 4)
					ts = append(ts, formats.GGUFTensor{Name: panelName(sp), Type: formats.GGMLI8, Shape: []int{np, kp},
						Write: func(w io.Writer) error {
							pw, err := q8.packRows(sp.Row0, sp.Rows)
							if err != nil {
								return fmt.Errorf("tensor %s: %w", panelName(sp), err)
							}
							_, err = w.Write(i8Bytes(pw.PanelData()))
							return err
						}})
					ts = append(ts, formats.GGUFTensor{Name: panelName(sp) + ".rowsum", Type: formats.GGMLI32, Shape: []int{np},
						Write: func(w io.Writer) error { return writeI32(w, q8.rowSums(sp.Row0, sp.Rows, np)) }})
				}
			} else {
				ts = append(ts, formats.GGUFTensor{Name: t.Name + ".q8", Type: formats.GGMLI8, Shape: []int{q.W8.Rows, q.W8.Cols}, Data: i8Bytes(q.W8.Codes)})
			}
			f32(t.Name+".q8.scale", q.W8.Scales, len(q.W8.Scales))
			if q.W8.Gran == PerSlice {
				i32(t.Name+".q8.ends", q.W8.Ends)
			}
		default:
			t4 := q.W4
			kv = append(kv, formats.GGUFKV{Key: "quamba.q4." + t.Name, Value: []int32{int32(t4.Rows), int32(t4.Cols), int32(t4.Group)}})
			if splits := projSplits[t.Name]; splits != nil && t4.Group == kernels.W4Group {
				for _, sp := range splits {
					np, kp := roundUp(sp.Rows, kernels.PanelRows), roundUp(sp.Cols, kernels.W4Group)
					pack := func(part int) func(w io.Writer) error {
						return func(w io.Writer) error {
							pw, err := t4.packRows(sp.Row0, sp.Rows)
							if err != nil {
								return fmt.Errorf("tensor %s: %w", panelName(sp), err)
							}
							codes, gs, rs := pw.PanelCodes()
							switch part {
							case 0:
								_, err = w.Write(codes)
							case 1:
								err = writeF32(w, gs)
							default:
								err = writeF32(w, rs)
							}
							return err
						}
					}
					ts = append(ts,
						formats.GGUFTensor{Name: panelName(sp), Type: formats.GGMLI8, Shape: []int{np, kp / 2}, Write: pack(0)},
						formats.GGUFTensor{Name: panelName(sp) + ".gs", Type: formats.GGMLF32, Shape: []int{np * kp / kernels.W4Group}, Write: pack(1)},
						formats.GGUFTensor{Name: panelName(sp) + ".rs", Type: formats.GGMLF32, Shape: []int{np}, Write: pack(2)})
				}
				continue
			}
			ts = append(ts, formats.GGUFTensor{Name: t.Name + ".q4", Type: formats.GGMLI8, Shape: []int{t4.Rows, (t4.Cols + 1) / 2}, Data: t4.PackNibbles()})
			f32(t.Name+".q4.group_scale", t4.GroupScale, t4.Rows, t4.Groups())
			f32(t.Name+".q4.row_scale", t4.RowScale, t4.Rows)
		}
	}
	keys := make([]ActKey, 0, len(c.Acts))
	for k := range c.Acts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ActKey) int {
		if a.Layer != b.Layer {
			return a.Layer - b.Layer
		}
		return int(a.Point) - int(b.Point)
	})
	for _, k := range keys {
		a := c.Acts[k]
		f32(actName(k)+".scale", a.Scales, len(a.Scales))
		i32(actName(k)+".ends", a.Ends)
	}
	for i, sc := range c.StateScales {
		f32(fmt.Sprintf("blk.%d.state.scale", i), sc, len(sc))
	}
	for i, r := range c.Reorders {
		if r == nil {
			continue
		}
		p := fmt.Sprintf("blk.%d.reorder.", i)
		if r.Heads != nil {
			i32(p+"heads", r.Heads)
		}
		if r.Channels != nil {
			i32(p+"channels", r.Channels)
		}
		var hg, cg []int
		for g, ends := range r.HeadGroups {
			hg = append(hg, len(ends))
			hg = append(hg, ends...)
			for _, ce := range r.ChannelGroups[g] {
				cg = append(cg, len(ce))
				cg = append(cg, ce...)
			}
		}
		if len(hg) > 0 {
			i32(p+"head_groups", hg)
			i32(p+"channel_groups", cg)
		}
	}
	if err := formats.WriteGGUF(path, kv, ts); err != nil {
		return fmt.Errorf("write artifact: %w", err)
	}
	return nil
}

// actName is the tensor name prefix of an activation's scales.
func actName(k ActKey) string {
	l := "lm_head"
	if k.Layer >= 0 {
		l = fmt.Sprint(k.Layer)
	}
	return "act." + l + "." + k.Point.String()
}

// splitsByTensor groups the projection stages of cfg by checkpoint tensor.
func splitsByTensor(cfg formats.Config) map[string][]model.ProjSplit {
	m := map[string][]model.ProjSplit{}
	for _, p := range model.Projections(cfg) {
		m[p.Tensor] = append(m[p.Tensor], p)
	}
	return m
}

// panelName is the tensor name of a projection stage's packed weights:
// blk.L.NAME.q (lm_head.q for lm_head).
func panelName(p model.ProjSplit) string {
	if p.Layer < 0 {
		return string(p.Name) + ".q"
	}
	return fmt.Sprintf("blk.%d.%s.q", p.Layer, p.Name)
}

// i8Bytes is v's memory as bytes (int8 and byte have the same layout).
func i8Bytes(v []int8) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v))
}

// writeF32 streams v as little-endian float32 in chunks.
func writeF32(w io.Writer, v []float32) error {
	buf := make([]byte, 4*min(len(v), 1<<16))
	for len(v) > 0 {
		n := min(len(v), len(buf)/4)
		for j, x := range v[:n] {
			binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(x))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

// writeI32 writes v as little-endian int32.
func writeI32(w io.Writer, v []int32) error {
	b := make([]byte, 4*len(v))
	for j, x := range v {
		binary.LittleEndian.PutUint32(b[4*j:], uint32(x))
	}
	_, err := w.Write(b)
	return err
}

func roundUp(a, b int) int { return (a + b - 1) / b * b }

// IsArtifact reports whether path names a GGUF file (by its magic).
func IsArtifact(path string) bool {
	return strings.HasSuffix(strings.ToLower(path), ".gguf")
}

// ReadArtifact loads an artifact written by WriteArtifact from a GGUF file
// (memory-mapped; the checksum is verified unless opts say otherwise) and
// rebuilds the compiled model: its configuration, recipe, quantized tensors
// (with the dequantized weights the simulation runs), activation scales and
// reorderings. Every inconsistency is an error naming the file and the
// tensor or key.
func ReadArtifact(path string, opts ...formats.GGUFOptions) (*Compiled, error) {
	g, err := formats.OpenGGUF(path, opts...)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	c, err := readArtifact(g, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseArtifact is ReadArtifact from bytes (for example go:embed).
func ParseArtifact(name string, data []byte, opts ...formats.GGUFOptions) (*Compiled, error) {
	g, err := formats.ParseGGUF(name, data, opts...)
	if err != nil {
		return nil, err
	}
	c, err := readArtifact(g, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// readArtifact reads the compiled model of g. With pk non-nil (OpenPacked)
// the projections stored as panels are wrapped in place into pk.Stages and
// the quantized embedding into pk.Embedding instead of being dequantized, and
// float tensors are views of g, not copies: c.Weights then lacks those
// tensors and lives only as long as g.
func readArtifact(g *formats.GGUFFile, pk *Packed) (*Compiled, error) {
	arch, err := g.String("general.architecture")
	if err != nil {
		return nil, err
	}
	if arch != ArtifactArchitecture {
		return nil, fmt.Errorf("general.architecture is %q, not a quamba artifact (%q)", arch, ArtifactArchitecture)
	}
	ver, err := g.Uint32("quamba.format_version")
	if err != nil {
		return nil, err
	}
	if ver > ArtifactVersion {
		return nil, fmt.Errorf("artifact format version %d is newer than this build (%s) reads: it reads versions 1 to %d", ver, ToolVersion, ArtifactVersion)
	}
	if ver < 1 {
		return nil, fmt.Errorf("artifact format version %d is invalid", ver)
	}
	if ver >= 2 && !g.Sealed() {
		return nil, fmt.Errorf("artifact format version %d lacks the checksum keys %s and %s (damaged header)", ver, formats.GGUFHeaderChecksumKey, formats.GGUFChecksumKey)
	}
	cj, err := g.String("quamba.config_json")
	if err != nil {
		return nil, err
	}
	cfg, err := formats.ParseConfig([]byte(cj), "quamba.config_json")
	if err != nil {
		return nil, err
	}
	// Every schema tensor is stored as one tensor or more: a layer count
	// beyond the file's must fail before the schema is built.
	if n := cfg.TensorCount(); n > len(g.Tensors()) {
		return nil, fmt.Errorf("quamba.config_json: n_layer=%d describes %d tensors, more than the %d the file holds", cfg.NLayer, n, len(g.Tensors()))
	}
	if _, err := model.TensorInfos(cfg); err != nil {
		return nil, fmt.Errorf("quamba.config_json: %w", err)
	}
	o, err := readOptions(g)
	if err != nil {
		return nil, err
	}
	c := &Compiled{Options: o, Quantized: map[string]QTensor{}, Acts: map[ActKey]ActQuant{}, Reorders: make([]*Reorder, cfg.NLayer)}
	if c.SourceDigest, err = g.String("quamba.source_digest"); err != nil {
		return nil, err
	}
	if err := readCalib(g, c); err != nil {
		return nil, err
	}
	had, err := g.Bool("quamba.out_proj_hadamard")
	if err != nil {
		return nil, err
	}

	known, provided := map[string]bool{}, map[string]bool{}
	tensors := map[string][]float32{}
	projSplits := splitsByTensor(cfg)
	for _, t := range cfg.Schema() {
		n := numel(t.Shape)
		if _, ok := g.TensorInfo(t.Name); ok {
			known[t.Name] = true
			v, err := tensorF32(g, t.Name, t.Shape...)
			if err != nil {
				return nil, err
			}
			if pk == nil {
				v = slices.Clone(v)
			}
			tensors[t.Name] = v
			continue
		}
		if splits := projSplits[t.Name]; pk != nil && splits != nil && hasTensor(g, panelName(splits[0])) {
			if err := pk.readStages(g, t.Name, splits, known); err != nil {
				return nil, err
			}
			provided[t.Name] = true
			continue
		}
		if pk != nil && t.Name == formats.EmbeddingName && (hasTensor(g, t.Name+".q8") || hasTensor(g, t.Name+".q4")) {
			if err := pk.readEmbedding(g, t.Name, known); err != nil {
				return nil, err
			}
			provided[t.Name] = true
			continue
		}
		if splits := projSplits[t.Name]; splits != nil && hasTensor(g, panelName(splits[0])) && hasTensor(g, t.Name+".q8.scale") {
			q, err := readW8Panels(g, t.Name, splits, known)
			if err != nil {
				return nil, err
			}
			c.Quantized[t.Name] = QTensor{W8: q}
			tensors[t.Name] = q.Dequantize()
			continue
		}
		if splits := projSplits[t.Name]; splits != nil && hasTensor(g, panelName(splits[0])) {
			q, err := readW4Panels(g, t.Name, n, splits, known)
			if err != nil {
				return nil, err
			}
			c.Quantized[t.Name] = QTensor{W4: q}
			tensors[t.Name] = q.Dequantize()
			continue
		}
		if _, ok := g.TensorInfo(t.Name + ".q8"); ok {
			q, err := readW8(g, t.Name, n, known)
			if err != nil {
				return nil, err
			}
			c.Quantized[t.Name] = QTensor{W8: q}
			tensors[t.Name] = q.Dequantize()
			continue
		}
		if _, ok := g.TensorInfo(t.Name + ".q4"); ok {
			q, err := readW4(g, t.Name, n, known)
			if err != nil {
				return nil, err
			}
			c.Quantized[t.Name] = QTensor{W4: q}
			tensors[t.Name] = q.Dequantize()
			continue
		}
		return nil, fmt.Errorf("tensor %s is missing (neither float, .q8 nor .q4)", t.Name)
	}
	w, err := model.NewWeightsExcept(cfg, mapSource(tensors), func(name string) bool { return provided[name] })
	if err != nil {
		return nil, err
	}
	w.OutProjHadamard = had
	c.Weights = w

	for _, info := range g.Tensors() {
		name := info.Name
		if known[name] {
			continue
		}
		switch {
		case strings.HasPrefix(name, "act.") && strings.HasSuffix(name, ".scale"):
			if err := readAct(g, c, strings.TrimSuffix(name, ".scale"), known); err != nil {
				return nil, err
			}
		case strings.HasPrefix(name, "blk.") && (strings.Contains(name, ".reorder.") || strings.HasSuffix(name, ".state.scale")):
			// read below
		default:
			if !strings.HasPrefix(name, "act.") {
				return nil, fmt.Errorf("unexpected tensor %q", name)
			}
		}
	}
	if o.StateInt8 {
		c.StateScales = make([][]float32, cfg.NLayer)
		for i := range cfg.NLayer {
			name := fmt.Sprintf("blk.%d.state.scale", i)
			sc, err := tensorF32(g, name, cfg.DInner/StateGroup(cfg)*cfg.DState)
			if err != nil {
				return nil, err
			}
			c.StateScales[i] = slices.Clone(sc)
			known[name] = true
		}
		if _, err := newStateCodec(cfg, c.StateScales); err != nil {
			return nil, err
		}
	}
	for i := range cfg.NLayer {
		r, err := readReorder(g, i, known)
		if err != nil {
			return nil, err
		}
		if r != nil {
			if err := r.Check(cfg); err != nil {
				return nil, fmt.Errorf("layer %d reordering: %w", i, err)
			}
		}
		c.Reorders[i] = r
	}
	for _, info := range g.Tensors() {
		if !known[info.Name] {
			return nil, fmt.Errorf("unexpected tensor %q", info.Name)
		}
	}
	if _, err := newActHook(cfg, c.Acts); err != nil {
		return nil, err
	}
	return c, nil
}

func readOptions(g *formats.GGUFFile) (Options, error) {
	var o Options
	var err error
	str := func(key string) string {
		v, e := g.String(key)
		if err == nil {
			err = e
		}
		return v
	}
	u := func(key string) int {
		v, e := g.Uint32(key)
		if err == nil {
			err = e
		}
		return int(v)
	}
	b := func(key string) bool {
		v, e := g.Bool(key)
		if err == nil {
			err = e
		}
		return v
	}
	sc := str("quamba.scheme")
	o.WBits, o.ABits, o.W4Group = u("quamba.w_bits"), u("quamba.a_bits"), u("quamba.w4_group")
	o.RotateResidual, o.OutHadamard = b("quamba.rotate_residual"), b("quamba.out_hadamard")
	o.XClipSearch = b("quamba.x_clip_search")
	o.GroupX, o.GroupBC, o.GPTQ, o.ClipSearch = b("quamba.group_x"), b("quamba.group_bc"), b("quamba.gptq"), b("quamba.clip_search")
	o.QuantEmbedding, o.QuantLMHead = b("quamba.quant_embedding"), b("quamba.quant_lm_head")
	o.StateInt8 = b("quamba.state_int8")
	o.HeadGroups, o.ChannelGroups, o.GPTQSamples = u("quamba.head_groups"), u("quamba.channel_groups"), u("quamba.gptq_samples")
	if err != nil {
		return o, err
	}
	if o.XPercentile, err = g.Float64("quamba.x_percentile"); err != nil {
		return o, err
	}
	if o.Scheme, err = ParseScheme(sc); err != nil {
		return o, fmt.Errorf("quamba.scheme: %w", err)
	}
	return o, readMixed(g, &o)
}

func readCalib(g *formats.GGUFFile, c *Compiled) error {
	var err error
	if c.Calib.Files, err = g.Strings("quamba.calib.files"); err != nil {
		return err
	}
	if c.Calib.Format, err = g.String("quamba.calib.format"); err != nil {
		return err
	}
	n, err := g.Uint32("quamba.calib.samples")
	if err != nil {
		return err
	}
	l, err := g.Uint32("quamba.calib.seqlen")
	if err != nil {
		return err
	}
	c.Calib.Samples, c.Calib.SeqLen = int(n), int(l)
	if c.Calib.Seed, err = g.Uint64("quamba.calib.seed"); err != nil {
		return err
	}
	tok, err := g.Uint64("quamba.calib.tokens")
	c.Calib.Tokens = int64(tok)
	return err
}

// tensorF32 reads a float tensor of exactly the given shape.
func tensorF32(g *formats.GGUFFile, name string, shape ...int) ([]float32, error) {
	info, _ := g.TensorInfo(name)
	if !slices.Equal(info.Shape, shape) {
		return nil, fmt.Errorf("tensor %s has shape %v, want %v", name, info.Shape, shape)
	}
	v, err := g.TensorF32(name)
	if err != nil {
		return nil, err
	}
	for j, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("tensor %s: non-finite value %v at element %d", name, x, j)
		}
	}
	return v, nil
}

func tensorI32(g *formats.GGUFFile, name string) ([]int, error) {
	v, err := g.TensorI32(name)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(v))
	for j, x := range v {
		out[j] = int(x)
	}
	return out, nil
}

// storedMatrix returns the [rows, cols] of a quantized tensor's codes,
// which must hold the n weights of the schema tensor.
func storedMatrix(name string, shape []int, n int) (rows, cols int, err error) {
	if len(shape) != 2 || shape[0] <= 0 || shape[1] <= 0 || shape[0]*shape[1] != n {
		return 0, 0, fmt.Errorf("tensor %s has shape %v, want a [rows, cols] matrix of %d weights", name, shape, n)
	}
	return shape[0], shape[1], nil
}

func readW8(g *formats.GGUFFile, name string, n int, known map[string]bool) (*W8Tensor, error) {
	info, _ := g.TensorInfo(name + ".q8")
	rows, cols, err := storedMatrix(name+".q8", info.Shape, n)
	if err != nil {
		return nil, err
	}
	codes, err := g.TensorI8(name + ".q8")
	if err != nil {
		return nil, err
	}
	known[name+".q8"] = true
	return readW8Scales(g, name, &W8Tensor{Rows: rows, Cols: cols, Codes: slices.Clone(codes)}, known)
}

// readW8Panels reads an int8 projection stored as the kernels' panels, one
// packed matrix per projection stage (model.Projections) of the tensor.
func readW8Panels(g *formats.GGUFFile, name string, splits []model.ProjSplit, known map[string]bool) (*W8Tensor, error) {
	last := splits[len(splits)-1]
	rows, cols := last.Row0+last.Rows, last.Cols
	t := &W8Tensor{Rows: rows, Cols: cols, Codes: make([]int8, rows*cols)}
	for _, sp := range splits {
		pn := panelName(sp)
		data, err := g.TensorI8(pn)
		if err != nil {
			return nil, err
		}
		sums, err := g.TensorI32(pn + ".rowsum")
		if err != nil {
			return nil, err
		}
		pw, err := kernels.W8FromPanels(sp.Rows, sp.Cols, data, sums)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", pn, err)
		}
		copy(t.Codes[sp.Row0*cols:], pw.Unpack())
		known[pn], known[pn+".rowsum"] = true, true
	}
	return readW8Scales(g, name, t, known)
}

// readW8Scales reads the scales of an int8 tensor whose codes t holds and
// checks codes and scales.
func readW8Scales(g *formats.GGUFFile, name string, t *W8Tensor, known map[string]bool) (*W8Tensor, error) {
	rows, cols := t.Rows, t.Cols
	scales, err := g.TensorF32(name + ".q8.scale")
	if err != nil {
		return nil, err
	}
	t.Scales = slices.Clone(scales)
	known[name+".q8.scale"] = true
	switch {
	case len(scales) == 1 && !hasTensor(g, name+".q8.ends"):
		t.Gran = PerTensor
	case hasTensor(g, name+".q8.ends"):
		t.Gran = PerSlice
		if t.Ends, err = tensorI32(g, name+".q8.ends"); err != nil {
			return nil, err
		}
		known[name+".q8.ends"] = true
		if err := checkEnds(name, t.Ends, rows); err != nil {
			return nil, err
		}
		if len(t.Ends) != len(scales) {
			return nil, fmt.Errorf("tensor %s.q8: %d slices, %d scales", name, len(t.Ends), len(scales))
		}
	case len(scales) == rows:
		t.Gran = PerRow
	default:
		return nil, fmt.Errorf("tensor %s.q8.scale has %d scales for %d rows", name, len(scales), rows)
	}
	for j, v := range t.Codes {
		if v == -128 {
			return nil, fmt.Errorf("tensor %s.q8: code -128 at [%d][%d] (codes are in [-127, 127])", name, j/cols, j%cols)
		}
	}
	for j, s := range t.Scales {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("tensor %s.q8.scale: scale %d is %v", name, j, s)
		}
	}
	return t, nil
}

// readW4Panels reads a 4-bit projection (group 128) stored as the kernels'
// panels, one packed matrix per projection stage of the tensor.
func readW4Panels(g *formats.GGUFFile, name string, n int, splits []model.ProjSplit, known map[string]bool) (*W4Tensor, error) {
	shape, err := g.Int32s("quamba.q4." + name)
	if err != nil {
		return nil, err
	}
	last := splits[len(splits)-1]
	rows, cols := last.Row0+last.Rows, last.Cols
	if rows*cols != n || !slices.Equal(shape, []int32{int32(rows), int32(cols), kernels.W4Group}) {
		return nil, fmt.Errorf("quamba.q4.%s is %v, want [%d %d %d]", name, shape, rows, cols, kernels.W4Group)
	}
	t := &W4Tensor{Rows: rows, Cols: cols, Group: kernels.W4Group, Codes: make([]uint8, rows*cols)}
	ng := t.Groups()
	t.GroupScale, t.RowScale = make([]float32, rows*ng), make([]float32, rows)
	for _, sp := range splits {
		pn := panelName(sp)
		codes, err := g.Tensor(pn)
		if err != nil {
			return nil, err
		}
		gs, err := g.TensorF32(pn + ".gs")
		if err != nil {
			return nil, err
		}
		rs, err := g.TensorF32(pn + ".rs")
		if err != nil {
			return nil, err
		}
		pw, err := kernels.W4FromPanels(sp.Rows, sp.Cols, codes, gs, rs)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", pn, err)
		}
		q, qgs, qrs := pw.Unpack()
		for _, v := range q {
			if v > 15 {
				return nil, fmt.Errorf("tensor %s: code %d out of [0, 15]", pn, v)
			}
		}
		copy(t.Codes[sp.Row0*cols:], q)
		copy(t.GroupScale[sp.Row0*ng:], qgs)
		copy(t.RowScale[sp.Row0:], qrs)
		known[pn], known[pn+".gs"], known[pn+".rs"] = true, true, true
	}
	for j, v := range append(slices.Clone(t.GroupScale), t.RowScale...) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
			return nil, fmt.Errorf("tensor %s: scale %d is %v", name, j, v)
		}
	}
	return t, nil
}

func readW4(g *formats.GGUFFile, name string, n int, known map[string]bool) (*W4Tensor, error) {
	shape, err := g.Int32s("quamba.q4." + name)
	if err != nil {
		return nil, err
	}
	if len(shape) != 3 {
		return nil, fmt.Errorf("quamba.q4.%s is %v, want [rows cols group]", name, shape)
	}
	rows, cols, err := storedMatrix("quamba.q4."+name, []int{int(shape[0]), int(shape[1])}, n)
	if err != nil {
		return nil, err
	}
	if info, _ := g.TensorInfo(name + ".q4"); !slices.Equal(info.Shape, []int{rows, (cols + 1) / 2}) {
		return nil, fmt.Errorf("tensor %s.q4 has shape %v, want [%d %d]", name, info.Shape, rows, (cols+1)/2)
	}
	group := int(shape[2])
	if group != 128 && group != 64 && group != 32 {
		return nil, fmt.Errorf("quamba.q4.%s: group %d (want 128, 64 or 32)", name, group)
	}
	packed, err := g.Tensor(name + ".q4")
	if err != nil {
		return nil, err
	}
	codes, err := UnpackNibbles(packed, rows*cols)
	if err != nil {
		return nil, fmt.Errorf("tensor %s.q4: %w", name, err)
	}
	t := &W4Tensor{Rows: rows, Cols: cols, Group: group, Codes: codes}
	if t.GroupScale, err = tensorF32(g, name+".q4.group_scale", rows, t.Groups()); err != nil {
		return nil, err
	}
	if t.RowScale, err = tensorF32(g, name+".q4.row_scale", rows); err != nil {
		return nil, err
	}
	t.GroupScale, t.RowScale = slices.Clone(t.GroupScale), slices.Clone(t.RowScale)
	known[name+".q4"], known[name+".q4.group_scale"], known[name+".q4.row_scale"] = true, true, true
	return t, nil
}

func readAct(g *formats.GGUFFile, c *Compiled, prefix string, known map[string]bool) error {
	rest := strings.TrimPrefix(prefix, "act.")
	l, pname, ok := strings.Cut(rest, ".")
	if !ok {
		return fmt.Errorf("tensor %s.scale: bad activation name", prefix)
	}
	layer := -1
	if l != "lm_head" {
		if _, err := fmt.Sscan(l, &layer); err != nil || layer < 0 || layer >= c.Weights.Config.NLayer || fmt.Sprint(layer) != l {
			return fmt.Errorf("tensor %s.scale: bad layer %q", prefix, l)
		}
	}
	var point model.Point
	found := false
	for _, p := range model.Points() {
		if p.String() == pname {
			point, found = p, true
		}
	}
	if !found {
		return fmt.Errorf("tensor %s.scale: unknown point %q", prefix, pname)
	}
	scales, err := g.TensorF32(prefix + ".scale")
	if err != nil {
		return err
	}
	ends, err := tensorI32(g, prefix+".ends")
	if err != nil {
		return err
	}
	cols := model.PointCols(c.Weights.Config, point)
	if len(ends) != len(scales) || len(ends) == 0 || ends[len(ends)-1] != cols {
		return fmt.Errorf("tensor %s: %d blocks, %d scales, last end %v (want %d columns)", prefix, len(ends), len(scales), ends, cols)
	}
	prev := 0
	for _, e := range ends {
		if e <= prev {
			return fmt.Errorf("tensor %s.ends: ends %v are not increasing", prefix, ends)
		}
		prev = e
	}
	known[prefix+".scale"], known[prefix+".ends"] = true, true
	c.Acts[ActKey{layer, point}] = ActQuant{Ends: ends, Scales: slices.Clone(scales)}
	return nil
}

func readReorder(g *formats.GGUFFile, i int, known map[string]bool) (*Reorder, error) {
	p := fmt.Sprintf("blk.%d.reorder.", i)
	if !hasTensor(g, p+"channels") && !hasTensor(g, p+"heads") {
		return nil, nil
	}
	r := &Reorder{}
	var err error
	if hasTensor(g, p+"heads") {
		if r.Heads, err = tensorI32(g, p+"heads"); err != nil {
			return nil, err
		}
		known[p+"heads"] = true
	}
	if hasTensor(g, p+"channels") {
		if r.Channels, err = tensorI32(g, p+"channels"); err != nil {
			return nil, err
		}
		known[p+"channels"] = true
	}
	if hasTensor(g, p+"head_groups") {
		hg, err := tensorI32(g, p+"head_groups")
		if err != nil {
			return nil, err
		}
		cg, err := tensorI32(g, p+"channel_groups")
		if err != nil {
			return nil, err
		}
		known[p+"head_groups"], known[p+"channel_groups"] = true, true
		bad := fmt.Errorf("tensors %shead_groups / channel_groups are inconsistent", p)
		for j, k := 0, 0; j < len(hg); {
			n := hg[j]
			if n <= 0 || j+1+n > len(hg) {
				return nil, bad
			}
			r.HeadGroups = append(r.HeadGroups, hg[j+1:j+1+n])
			var cgs [][]int
			for range n {
				if k >= len(cg) || cg[k] <= 0 || k+1+cg[k] > len(cg) {
					return nil, bad
				}
				cgs = append(cgs, cg[k+1:k+1+cg[k]])
				k += 1 + cg[k]
			}
			r.ChannelGroups = append(r.ChannelGroups, cgs)
			j += 1 + n
		}
	}
	return r, nil
}

func hasTensor(g *formats.GGUFFile, name string) bool {
	_, ok := g.TensorInfo(name)
	return ok
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// mapSource serves tensors from a map (a model.TensorSource).
type mapSource map[string][]float32

func (m mapSource) Tensor(name string, shape ...int) ([]float32, error) {
	v, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("tensor %s is missing", name)
	}
	if len(shape) > 0 && len(v) != numel(shape) {
		return nil, fmt.Errorf("tensor %s has %d values, want %v", name, len(v), shape)
	}
	return v, nil
}
