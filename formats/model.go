package formats

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unsafe"
)

// The files of a model directory: config.json and one weight file (or
// index) of the other four names.
const (
	ConfigFile           = "config.json"
	SafetensorsIndexFile = "model.safetensors.index.json"
	SafetensorsFile      = "model.safetensors"
	PyTorchFile          = "pytorch_model.bin"
)

// ModelFiles is an opened model directory: its configuration and its
// weights, addressed by canonical (state-spaces) tensor names.
type ModelFiles struct {
	Dir        string
	Config     Config
	Checkpoint Checkpoint

	stored  map[string]string // canonical name -> name in Checkpoint
	cfgName string            // where Config came from, for errors
}

// OpenModel opens a model directory (config.json plus one of
// model.safetensors, model.safetensors.index.json, pytorch_model.bin or
// pytorch_model.bin.index.json; two of them are an error). It checks that every
// tensor the configuration needs is present with the right shape and a
// float dtype, and that there are no tensors the configuration does not
// explain (for example layers beyond n_layer).
func OpenModel(dir string) (*ModelFiles, error) {
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	ck, err := openWeightsDir(dir)
	if err != nil {
		return nil, err
	}
	m := &ModelFiles{Dir: dir, Config: cfg, Checkpoint: ck, cfgName: filepath.Join(dir, ConfigFile)}
	if err := m.resolve(); err != nil {
		ck.Close()
		return nil, err
	}
	return m, nil
}

// NewModelFiles wraps an already opened checkpoint (for example a
// MemCheckpoint) with the same name resolution and checks as OpenModel.
func NewModelFiles(cfg Config, ck Checkpoint) (*ModelFiles, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &ModelFiles{Dir: ck.Path(), Config: cfg, Checkpoint: ck, cfgName: "the configuration"}
	if err := m.resolve(); err != nil {
		return nil, err
	}
	return m, nil
}

// openWeightsDir opens the one weight file of a model directory. Two of
// them (say model.safetensors beside pytorch_model.bin, perhaps a
// conversion's leftover) are an error naming both: which one the model
// is cannot be guessed.
func openWeightsDir(dir string) (Checkpoint, error) {
	var found []string
	for _, name := range []string{SafetensorsIndexFile, SafetensorsFile, PyTorchIndexFile, PyTorchFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err == nil {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: no %s, %s, %s or %s", dir, SafetensorsFile, SafetensorsIndexFile, PyTorchFile, PyTorchIndexFile)
	case 1:
		if _, err := checkRegular(found[0]); err != nil {
			return nil, fmt.Errorf("open checkpoint: %w", err)
		}
		return OpenCheckpoint(found[0])
	}
	return nil, fmt.Errorf("%s: %d weight files, %s: keep one (a model directory holds one of %s, %s, %s or %s)",
		dir, len(found), strings.Join(found, " and "), SafetensorsFile, SafetensorsIndexFile, PyTorchFile, PyTorchIndexFile)
}

// resolve maps every canonical name to a stored name and checks shapes.
func (m *ModelFiles) resolve() error {
	ck, cfg := m.Checkpoint, m.Config
	// The count first: a configuration with far more layers than the file
	// must not build its whole schema (n_layer up to maxDim). Small
	// differences get the precise errors below.
	if n, stored := cfg.TensorCount(), len(ck.Names()); n > 2*stored+16 {
		return fmt.Errorf("%s: n_layer=%d and the other sizes describe a %s model of %d tensors, %s holds %d (config.json does not match the weights)",
			m.cfgName, cfg.NLayer, cfg.Arch, n, ck.Path(), stored)
	}
	want := cfg.TensorShapes()
	m.stored = make(map[string]string, len(want))
	used := map[string]bool{}
	for _, name := range sortedKeys(want) {
		stored := name
		if _, ok := ck.Info(stored); !ok {
			switch name {
			case EmbeddingName:
				stored = hfEmbeddingName
			case LMHeadName:
				if !cfg.TieEmbeddings {
					return fmt.Errorf("%s: tensor %q missing and the config does not tie it to the embedding", ck.Path(), LMHeadName)
				}
				continue // resolved to the embedding below
			}
		}
		info, ok := ck.Info(stored)
		if !ok {
			return fmt.Errorf("%s: tensor %q missing", ck.Path(), name)
		}
		if !shapeEqual(info.Shape, want[name]) {
			hint := ""
			if name == EmbeddingName || name == LMHeadName {
				hint = fmt.Sprintf(" (vocab rows %d from vocab_size=%d)", cfg.PaddedVocab, cfg.VocabSize)
			}
			return fmt.Errorf("%s: tensor %q has shape %v, config needs %v%s (config from %s)", ck.Path(), stored, info.Shape, want[name], hint, m.cfgName)
		}
		if !info.DType.Float() {
			return fmt.Errorf("%s: tensor %q has dtype %s, want a float type", ck.Path(), stored, info.DType)
		}
		m.stored[name] = stored
		used[stored] = true
	}
	if _, ok := m.stored[LMHeadName]; !ok {
		m.stored[LMHeadName] = m.stored[EmbeddingName]
	}
	for _, name := range ck.Names() {
		if !used[name] {
			return fmt.Errorf("%s: unexpected tensor %q for a %s model with n_layer=%d (wrong config.json?)", ck.Path(), name, cfg.Arch, cfg.NLayer)
		}
	}
	return nil
}

// Tensor loads a tensor by its canonical (state-spaces) name, e.g.
// "backbone.embedding.weight", "backbone.layers.3.mixer.in_proj.weight" or
// "lm_head.weight" (the embedding when tied and not stored), converted to
// float32. When shape is given the tensor must have exactly that shape;
// every value must be finite and within ±MaxWeightMagnitude.
func (m *ModelFiles) Tensor(name string, shape ...int) ([]float32, error) {
	stored, ok := m.stored[name]
	if !ok {
		return nil, fmt.Errorf("%s: tensor %q is not part of this %s model", m.Checkpoint.Path(), name, m.Config.Arch)
	}
	data, got, err := m.Checkpoint.Float32(stored)
	if err != nil {
		return nil, err
	}
	file := checkpointFile(m.Checkpoint, stored)
	if len(shape) > 0 && !shapeEqual(got, shape) {
		return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", file, stored, got, shape)
	}
	if i := firstNonFinite(data); i >= 0 {
		return nil, fmt.Errorf("%s: tensor %q: element %d is %v (weights must be finite)", file, stored, i, data[i])
	}
	if i := firstBeyond(data, MaxWeightMagnitude); i >= 0 {
		return nil, fmt.Errorf("%s: tensor %q: element %d is %g, beyond ±%g: float32 squares and sums of it overflow in the forward pass", file, stored, i, data[i], float64(MaxWeightMagnitude))
	}
	return data, nil
}

// MaxWeightMagnitude bounds the absolute value of the weights a model's
// Tensor returns. A finite weight far beyond what training gives (a
// corrupted or hand-edited checkpoint: 1e38) is not wrong where it is read
// but overflows later into infinities and NaNs: the squares of RMSNorm, the
// sums of a projection, a quantizer's transforms. The bound leaves twelve
// orders of magnitude above any trained model's weights.
const MaxWeightMagnitude = 1e15

// firstBeyond is the index of the first value of x beyond ±limit, or -1.
func firstBeyond(x []float32, limit float32) int {
	for i, v := range x {
		if v > limit || v < -limit {
			return i
		}
	}
	return -1
}

// Close releases the weight files.
func (m *ModelFiles) Close() error { return m.Checkpoint.Close() }

func firstNonFinite(x []float32) int {
	for i, v := range x {
		if v-v != 0 { // NaN or ±Inf
			return i
		}
	}
	return -1
}

// checkpointFile names the file holding a tensor (the shard when sharded).
func checkpointFile(ck Checkpoint, name string) string {
	if s, ok := ck.(*sharded); ok {
		if sh, ok := s.owner[name]; ok {
			return sh.Path()
		}
	}
	return ck.Path()
}

// OpenCheckpoint opens one checkpoint of any supported kind: a
// .safetensors file, a PyTorch zip checkpoint, a shard index
// (model.safetensors.index.json, pytorch_model.bin.index.json) with its
// shards, or a model directory holding one of them.
func OpenCheckpoint(path string) (Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	if st.IsDir() {
		return openWeightsDir(path)
	}
	if strings.HasSuffix(path, ".bin.index.json") || strings.HasSuffix(path, ".pt.index.json") {
		return OpenPyTorchIndex(path)
	}
	if strings.HasSuffix(path, ".index.json") {
		return OpenSafetensorsIndex(path)
	}
	f, _, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	f.Close()
	if err == nil && bytes.Equal(magic, []byte("PK\x03\x04")) {
		return OpenPyTorch(path)
	}
	return OpenSafetensors(path)
}

// Inspection summarises a checkpoint for display.
type Inspection struct {
	Path    string
	Format  string  // "safetensors", "pytorch", or either followed by " (sharded)"
	Config  *Config // nil when path is not a model directory
	Tensors []TensorInfo
	// Params is the element count of the stored tensors summed per name:
	// a storage that several names view (a tied lm_head saved by torch)
	// counts once for each. Config.ParamCount is the model's own count.
	Params int64
	// Bytes is the tensor data the files hold, each stored byte counted
	// once: the data sections of safetensors files, the storage records
	// of PyTorch files (uncompressed size, one per storage however many
	// tensors view it). Headers, pickles and zip structure are excluded.
	Bytes   int64
	ByDType map[DType]int64 // element count per dtype, summed per name as Params
	// Metadata is the safetensors __metadata__ (nil otherwise).
	Metadata map[string]string
}

// Inspect describes a checkpoint file or model directory without loading
// tensor data. For a directory with a config.json the configuration is
// parsed and checked against the tensors as OpenModel does.
func Inspect(path string) (*Inspection, error) {
	var ck Checkpoint
	in := &Inspection{Path: path, ByDType: map[DType]int64{}}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		m, err := OpenModel(path)
		if err != nil {
			return nil, err
		}
		defer m.Close()
		in.Config = &m.Config
		ck = m.Checkpoint
	} else {
		c, err := OpenCheckpoint(path)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		ck = c
	}
	switch c := ck.(type) {
	case *Safetensors:
		in.Format = "safetensors"
		in.Metadata = c.Metadata()
	case *sharded:
		in.Format = c.format
	case *PyTorch:
		in.Format = "pytorch"
	}
	for _, name := range ck.Names() {
		info, _ := ck.Info(name)
		n, _ := checkedProduct(info.Shape, maxElements)
		in.Tensors = append(in.Tensors, info)
		in.Params += n
		in.ByDType[info.DType] += n
	}
	in.Bytes = storedBytes(ck)
	return in, nil
}

// storedBytes is the tensor data a checkpoint's files hold, each byte
// once (see Inspection.Bytes).
func storedBytes(ck Checkpoint) int64 {
	switch c := ck.(type) {
	case *Safetensors:
		return int64(len(c.data))
	case *PyTorch:
		seen := map[*ptStorage]bool{}
		var n int64
		for _, t := range c.tensors {
			if st := t.storage; !seen[st] {
				seen[st] = true
				n += st.numel * int64(st.dtype.Size())
			}
		}
		return n
	case *sharded:
		var n int64
		for _, sh := range c.shards {
			n += storedBytes(sh)
		}
		return n
	}
	var n int64 // in memory: per name
	for _, name := range ck.Names() {
		info, _ := ck.Info(name)
		numel, _ := checkedProduct(info.Shape, maxElements)
		n += numel * int64(info.DType.Size())
	}
	return n
}

// TensorData is an in-memory tensor: its shape, the dtype it is (or is to
// be) stored as, and its values in the one slice matching that dtype
// (F32 for F32, F16 and BF16, which are rounded to nearest-even on write).
type TensorData struct {
	DType DType
	Shape []int
	F32   []float32
	I8    []int8
	U8    []uint8
	I32   []int32
}

// Float32Tensor is a float32 TensorData sharing data.
func Float32Tensor(data []float32, shape ...int) TensorData {
	return TensorData{DType: F32, Shape: shape, F32: data}
}

// validate checks that exactly the slice matching DType holds
// product(Shape) values.
func (t TensorData) validate() error {
	numel, err := checkedProduct(t.Shape, maxElements)
	if err != nil {
		return err
	}
	var have int
	var set int
	for _, n := range []int{len(t.F32), len(t.I8), len(t.U8), len(t.I32)} {
		if n > 0 {
			set++
		}
	}
	switch t.DType {
	case F32, F16, BF16:
		have = len(t.F32)
	case I8:
		have = len(t.I8)
	case U8:
		have = len(t.U8)
	case I32:
		have = len(t.I32)
	default:
		return fmt.Errorf("dtype %q cannot be written (want F32, F16, BF16, I8, U8 or I32)", t.DType)
	}
	if int64(have) != numel || set > 1 || (set == 0 && numel > 0) {
		return fmt.Errorf("%s tensor of shape %v needs %d values in its %s slice (and no other slice set), has %d", t.DType, t.Shape, numel, t.DType, have)
	}
	return nil
}

func (t TensorData) numel() int {
	switch t.DType {
	case I8:
		return len(t.I8)
	case U8:
		return len(t.U8)
	case I32:
		return len(t.I32)
	}
	return len(t.F32)
}

// encode writes elements [from, to) little-endian into dst, which must
// hold (to-from)*DType.Size() bytes.
func (t TensorData) encode(dst []byte, from, to int) {
	switch t.DType {
	case F32:
		if littleEndian && to > from {
			copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&t.F32[from])), 4*(to-from)))
			return
		}
		for i, v := range t.F32[from:to] {
			putU32(dst[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range t.F32[from:to] {
			putU16(dst[2*i:], f32ToF16(v))
		}
	case BF16:
		for i, v := range t.F32[from:to] {
			putU16(dst[2*i:], f32ToBF16(v))
		}
	case I8:
		for i, v := range t.I8[from:to] {
			dst[i] = byte(v)
		}
	case U8:
		copy(dst, t.U8[from:to])
	case I32:
		for i, v := range t.I32[from:to] {
			putU32(dst[4*i:], uint32(v))
		}
	}
}

// sameValues reports whether two float tensors store identical values.
func sameValues(a, b TensorData) bool {
	if a.DType != b.DType || !shapeEqual(a.Shape, b.Shape) || len(a.F32) != len(b.F32) {
		return false
	}
	if identityOf(a) == identityOf(b) {
		return true
	}
	for i, v := range a.F32 {
		if math.Float32bits(v) != math.Float32bits(b.F32[i]) {
			return false
		}
	}
	return true
}

func putU16(b []byte, v uint16) { _ = b[1]; b[0], b[1] = byte(v), byte(v>>8) }
func putU32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// bytesOf returns the tensor's whole stored little-endian image.
func (t TensorData) bytesOf() []byte {
	n := t.numel()
	b := make([]byte, n*t.DType.Size())
	t.encode(b, 0, n)
	return b
}

// streamChunk is the number of elements encoded at a time when writing.
const streamChunk = 1 << 16

// writeTo streams the encoded tensor to w in bounded chunks.
func (t TensorData) writeTo(w io.Writer) error {
	n, es := t.numel(), t.DType.Size()
	buf := make([]byte, min(n, streamChunk)*es)
	for from := 0; from < n; from += streamChunk {
		to := min(from+streamChunk, n)
		b := buf[:(to-from)*es]
		t.encode(b, from, to)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// MemCheckpoint is a Checkpoint backed by in-memory tensors, for tests and
// as the source of the writers. Float32 returns the values a reader of the
// written file would see (F16 and BF16 rounded).
type MemCheckpoint struct {
	Name    string // reported by Path; "memory" when empty
	Tensors map[string]TensorData
}

var _ Checkpoint = (*MemCheckpoint)(nil)
var _ RawReader = (*MemCheckpoint)(nil)

// Path is Name, or "memory".
func (m *MemCheckpoint) Path() string {
	if m.Name == "" {
		return "memory"
	}
	return m.Name
}

// Names lists the tensor names in sorted order.
func (m *MemCheckpoint) Names() []string { return sortedKeys(m.Tensors) }

// Info describes a tensor.
func (m *MemCheckpoint) Info(name string) (TensorInfo, bool) {
	t, ok := m.Tensors[name]
	if !ok {
		return TensorInfo{}, false
	}
	return TensorInfo{Name: name, DType: t.DType, Shape: append([]int(nil), t.Shape...)}, true
}

// Float32 returns a converted copy of the tensor.
func (m *MemCheckpoint) Float32(name string) ([]float32, []int, error) {
	info, b, err := m.Raw(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, len(b)/info.DType.Size())
	if err := decodeFloat32(out, b, info.DType); err != nil {
		return nil, nil, fmt.Errorf("%s: tensor %q: %w", m.Path(), name, err)
	}
	return out, info.Shape, nil
}

// Raw returns the tensor's little-endian stored image.
func (m *MemCheckpoint) Raw(name string) (TensorInfo, []byte, error) {
	t, ok := m.Tensors[name]
	if !ok {
		return TensorInfo{}, nil, fmt.Errorf("%s: tensor %q not found", m.Path(), name)
	}
	if err := t.validate(); err != nil {
		return TensorInfo{}, nil, fmt.Errorf("%s: tensor %q: %w", m.Path(), name, err)
	}
	info, _ := m.Info(name)
	return info, t.bytesOf(), nil
}

// Close does nothing.
func (m *MemCheckpoint) Close() error { return nil }

// checkTensors validates every tensor of a set about to be written.
func checkTensors(path string, tensors map[string]TensorData) ([]string, error) {
	if len(tensors) == 0 {
		return nil, fmt.Errorf("%s: no tensors to write", path)
	}
	names := sortedKeys(tensors)
	for _, name := range names {
		if name == "" {
			return nil, fmt.Errorf("%s: empty tensor name", path)
		}
		if err := tensors[name].validate(); err != nil {
			return nil, fmt.Errorf("%s: tensor %q: %w", path, name, err)
		}
	}
	return names, nil
}

// WriteModel writes a model directory that OpenModel reads back: dir is
// created if needed and receives config.json plus pytorch_model.bin
// (state-spaces convention, tied lm_head sharing the embedding storage as
// torch saves it) or model.safetensors (Hugging Face convention, tied
// lm_head omitted as transformers saves it). tensors are keyed by
// canonical name and must be exactly the set cfg.TensorShapes() lists
// (lm_head.weight may be left out when tied; if given it must equal the
// embedding), with F32, F16 or BF16 dtypes. In a PyTorch file tensors that
// are the same slice share a storage. It is WriteModelFrom over the map.
func WriteModel(dir string, cfg Config, tensors map[string]TensorData) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write model %s: %w", dir, err)
	}
	want := cfg.TensorShapes()
	names := sortedKeys(want)
	for _, name := range names {
		if _, ok := tensors[name]; !ok && !(name == LMHeadName && cfg.TieEmbeddings) {
			return fmt.Errorf("write model %s: tensor %q missing", dir, name)
		}
	}
	if lm, ok := tensors[LMHeadName]; ok && cfg.TieEmbeddings && !sameValues(lm, tensors[EmbeddingName]) {
		return fmt.Errorf("write model %s: tensor %q differs from %q but the config ties them", dir, LMHeadName, EmbeddingName)
	}
	for _, name := range sortedKeys(tensors) {
		if _, ok := want[name]; !ok {
			return fmt.Errorf("write model %s: tensor %q is not part of a %s model with n_layer=%d", dir, name, cfg.Arch, cfg.NLayer)
		}
	}
	var shares map[string]string
	if cfg.Convention == StateSpaces {
		if cfg.TieEmbeddings {
			names = slices.DeleteFunc(names, func(n string) bool { return n == LMHeadName })
		}
		shares = sharedSlices(names, tensors)
	}
	dtype := func(name string) DType { return tensors[name].DType }
	return writeModel(dir, cfg, dtype, shares, mapSource(tensors))
}

// WriteModelFrom writes the model directory WriteModel writes, asking
// tensor for one tensor at a time, by canonical name, when it is about to
// be written and keeping no reference to it afterwards, so that a model
// generated or converted on the fly is never held in memory whole. tensor
// is called once for every name cfg.TensorShapes() lists except a tied
// lm_head.weight (stored as the embedding, or omitted), in the order the
// file stores them; it must return the shape the configuration gives and
// the dtype dtype(name) declares beforehand: F32, F16 or BF16 (a nil dtype
// declares F32 for every tensor). An error from tensor, or a tensor of the
// wrong dtype, shape or length, aborts the write naming the file and the
// tensor; the weights file is written atomically and config.json last, so
// a failed write leaves neither behind (nor dir, when it was created).
func WriteModelFrom(dir string, cfg Config, dtype func(name string) DType, tensor func(name string) (TensorData, error)) error {
	return writeModel(dir, cfg, dtype, nil, tensor)
}

// writeModel is WriteModelFrom where, in a PyTorch file, each name in
// shares stores no data of its own and references the storage of the
// earlier name it maps to.
func writeModel(dir string, cfg Config, dtype func(string) DType, shares map[string]string, tensor tensorSource) (err error) {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write model %s: %w", dir, err)
	}
	if dtype == nil {
		dtype = func(string) DType { return F32 }
	}
	want := cfg.TensorShapes()
	var specs []fileTensor
	for _, name := range sortedKeys(want) {
		s := fileTensor{name: name, src: name, shape: want[name]}
		if name == LMHeadName && cfg.TieEmbeddings {
			if cfg.Convention == HuggingFace {
				continue // transformers omits the tied head
			}
			s.shares, s.src = EmbeddingName, EmbeddingName
		} else if cfg.Convention == StateSpaces {
			s.shares = shares[name]
		}
		if cfg.Convention == HuggingFace && name == EmbeddingName {
			s.name = hfEmbeddingName
		}
		s.dtype = dtype(s.src)
		if !s.dtype.Float() {
			return fmt.Errorf("write model %s: tensor %q has dtype %s, want F32, F16 or BF16", dir, s.src, s.dtype)
		}
		specs = append(specs, s)
	}
	// Files store tensors sorted by stored name.
	slices.SortFunc(specs, func(a, b fileTensor) int { return strings.Compare(a.name, b.name) })

	created, err := mkdirAllTracked(dir)
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	defer func() {
		if err != nil {
			for i := len(created) - 1; i >= 0; i-- {
				os.Remove(created[i]) // only if still empty
			}
		}
	}()
	switch cfg.Convention {
	case StateSpaces:
		err = writePyTorch(filepath.Join(dir, PyTorchFile), specs, tensor)
	case HuggingFace:
		err = writeSafetensors(filepath.Join(dir, SafetensorsFile), specs, map[string]string{"format": "pt"}, tensor)
	default:
		err = fmt.Errorf("unknown convention %q", cfg.Convention)
	}
	if err != nil {
		return fmt.Errorf("write model %s: %w", dir, err)
	}
	return WriteConfig(filepath.Join(dir, ConfigFile), cfg)
}

// mkdirAllTracked is os.MkdirAll returning the directories it created,
// outermost first.
func mkdirAllTracked(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	slices.Reverse(missing)
	return missing, nil
}
