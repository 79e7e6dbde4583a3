package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/race"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
)

// tinyArtifact compiles a random one-layer model (d_model 16) of arch with
// the scheme sc (quant.CompileSynthetic) and returns the artifact's bytes
// (about 13 KB).
func tinyArtifact(t testing.TB, arch formats.Arch, sc quant.Scheme) []byte {
	t.Helper()
	cfg := formats.Config{Arch: arch, Convention: formats.StateSpaces, DModel: 16, NLayer: 1, VocabSize: 20,
		PadVocabSizeMultiple: 16, DConv: 4, Expand: 2, DInner: 32, ConvBias: true, RMSNorm: true,
		ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5}
	if arch == formats.Mamba1 {
		cfg.DState, cfg.DtRank = 4, 2
	} else {
		cfg.DState, cfg.HeadDim, cfg.NHeads, cfg.NGroups, cfg.ChunkSize = 8, 8, 4, 1, 8
		cfg.DtLimitMax = 1e30
	}
	cfg.PaddedVocab = (cfg.VocabSize + 15) / 16 * 16
	init, err := model.RandomTensors(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := model.NewWeights(cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := quant.DefaultOptions(sc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := quant.CompileSynthetic(w, opt)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := quant.WriteArtifact(path, c, "tiny"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// probe runs a short prompt through m and returns its logits (nil when the
// model refuses to run).
func probe(m *Model) []float32 {
	_, P := m.Vocab()
	out := make([]float32, 4*P)
	if err := m.NewSession().Forward([]int{1, 5, 7, 3}, out); err != nil {
		return nil
	}
	return out
}

// tryLoad is Load with a panic turned into an error that says so.
func tryLoad(name string, b []byte, opt Options) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("PANIC: %v", r)
		}
	}()
	return Load(name, b, opt)
}

// ggufBoundaries lists the offsets where the parts of a GGUF file begin:
// the fixed header fields, every metadata pair, every tensor info, the
// padding, the data section and every tensor's data, and the end of each
// tensor's data. It walks the file independently of formats' reader.
func ggufBoundaries(t testing.TB, b []byte) []int {
	t.Helper()
	le := binary.LittleEndian
	off := 0
	cuts := []int{0, 4, 8, 16}
	nT, nKV := le.Uint64(b[8:]), le.Uint64(b[16:])
	off = 24
	str := func() { off += 8 + int(le.Uint64(b[off:])) }
	fixed := map[uint32]int{0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
	var value func(typ uint32)
	value = func(typ uint32) {
		switch typ {
		case 8:
			str()
		case 9:
			elem := le.Uint32(b[off:])
			n := int(le.Uint64(b[off+4:]))
			off += 12
			for range n {
				value(elem)
			}
		default:
			off += fixed[typ]
		}
	}
	for range nKV {
		cuts = append(cuts, off)
		str()
		typ := le.Uint32(b[off:])
		off += 4
		value(typ)
	}
	for range nT {
		cuts = append(cuts, off)
		str()
		nd := int(le.Uint32(b[off:]))
		off += 4 + 8*nd + 4 + 8
	}
	cuts = append(cuts, off)
	g, err := formats.ParseGGUF("walk.gguf", b)
	if err != nil {
		t.Fatal(err)
	}
	ds := int(g.DataOffset())
	if off > ds {
		t.Fatalf("walked the header to %d, past the data section at %d", off, ds)
	}
	cuts = append(cuts, ds)
	for _, info := range g.Tensors() {
		cuts = append(cuts, ds+int(info.Offset), ds+int(info.Offset+info.Size))
	}
	cuts = append(cuts, len(b)-1)
	slices.Sort(cuts)
	return slices.Compact(cuts)
}

// corruptionSweep checks that every corruption of the artifact b it makes
// is refused by Load, naming the file, and by quant.ParseArtifact (for the
// first of the xors and the truncations): the bytes at the offsets flips gives
// xored with each of xors, and truncations at the lengths cuts gives. When
// the checksum is skipped (skip), the corrupted artifacts only have to
// load or fail without a panic, and run a prompt when they load.
func corruptionSweep(t *testing.T, b []byte, flips []int, xors []byte, cuts []int, skip bool) {
	t.Helper()
	const name = "corrupt.gguf"
	want := probe(mustLoad(t, b))
	check := func(what string, c []byte, sim bool) {
		m, err := tryLoad(name, c, Options{SkipChecksum: skip})
		switch {
		case err != nil && strings.HasPrefix(err.Error(), "PANIC"):
			t.Fatalf("%s: %v", what, err)
		case err != nil && !strings.Contains(err.Error(), name):
			t.Fatalf("%s: error %q does not name the file", what, err)
		case err == nil && !skip:
			got := probe(m)
			t.Fatalf("%s: loaded (same output: %v)", what, slices.Equal(got, want))
		case !skip && sim:
			// The simulation's reader (quamba eval --simulate) refuses it too.
			if _, err := quant.ParseArtifact(name, c); err == nil {
				t.Fatalf("%s: quant.ParseArtifact read it", what)
			}
		case err == nil:
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s: loaded with SkipChecksum, then the prompt panicked: %v", what, r)
					}
				}()
				probe(m)
				m.Close()
			}()
		}
	}
	for _, i := range flips {
		for _, x := range xors {
			c := bytes.Clone(b)
			c[i] ^= x
			check(fmt.Sprintf("byte %d of %d ^ %#02x", i, len(b), x), c, x == xors[0])
		}
	}
	for _, n := range cuts {
		if n >= len(b) {
			continue
		}
		check(fmt.Sprintf("truncated to %d of %d bytes", n, len(b)), b[:n:n], true)
	}
}

func mustLoad(t testing.TB, b []byte) *Model {
	t.Helper()
	m, err := Load("intact.gguf", b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// stride lists from, from+step, from+2·step, ... below to.
func stride(from, to, step int) []int {
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}

// Every byte of a small artifact flipped (the header's three ways, the
// data's one way) and every truncation at a part's boundary or over a
// stride is refused by Load: the header checksum covers the metadata, the
// tensor infos and the padding, the data checksum the rest; and a version
// 2 artifact must carry both. Without the checks (SkipChecksum) the same
// inputs, the data sampled, load or fail without a panic. -short samples
// every third header byte and every eleventh data byte.
func TestLoadCorruptTinyArtifact(t *testing.T) {
	for _, tc := range []struct {
		arch formats.Arch
		sc   quant.Scheme
	}{{formats.Mamba1, quant.W8A8}, {formats.Mamba2, quant.W4A16}} {
		t.Run(fmt.Sprintf("%s-%s", tc.arch, tc.sc), func(t *testing.T) {
			b := tinyArtifact(t, tc.arch, tc.sc)
			g, err := formats.ParseGGUF("tiny.gguf", b)
			if err != nil {
				t.Fatal(err)
			}
			ds := int(g.DataOffset())
			hs, dst := 1, 1
			switch {
			case race.Enabled:
				// One goroutine: the race detector finds nothing here
				// that a sample does not show, at ten times the cost.
				hs, dst = 17, 67
			case testing.Short():
				hs, dst = 3, 11
			}
			cuts := append(ggufBoundaries(t, b), stride(0, len(b), 61)...)
			header, data := stride(0, ds, hs), stride(ds, len(b), dst)
			for _, skip := range []bool{false, true} {
				corruptionSweep(t, b, header, []byte{0x01, 0x80, 0xff}, cuts, skip)
				if skip {
					data = stride(ds, len(b), 5*dst)
				}
				corruptionSweep(t, b, data, []byte{0xff}, nil, skip)
			}
		})
	}
}

// The bundled Mamba1 model at W8A8 (about 590 KB): one flipped byte in
// each of 256 ranges, every truncation over a stride and at every part's
// boundary is refused.
func TestLoadCorruptBundledArtifact(t *testing.T) {
	b, err := os.ReadFile(w8a8Artifact(t, "mamba1-shakespeare"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ranges := 256
	if testing.Short() || race.Enabled {
		ranges = 64
	}
	var flips []int
	for r := range ranges {
		lo, hi := r*len(b)/ranges, (r+1)*len(b)/ranges
		flips = append(flips, lo+rng.IntN(hi-lo))
	}
	cuts := append(ggufBoundaries(t, b), stride(0, len(b), len(b)/ranges+1)...)
	corruptionSweep(t, b, flips, []byte{0x01, 0x80, 0xff}, cuts, false)
}

// The checksums are verified by default: one flipped data byte fails Load
// and Open with a checksum error, and loads when the check is skipped.
func TestChecksumVerifiedByDefault(t *testing.T) {
	b := tinyArtifact(t, formats.Mamba1, quant.W8A8)
	g, err := formats.ParseGGUF("tiny.gguf", b)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Verified() || !g.Sealed() {
		t.Fatalf("a written artifact: verified %v, sealed %v", g.Verified(), g.Sealed())
	}
	// One float weight's exponent bit: a valid artifact but for the
	// checksum. (A flipped int8 code is also caught without the checksum,
	// by the panels' row sums.)
	info, _ := g.TensorInfo(formats.NormFName)
	c := bytes.Clone(b)
	c[g.DataOffset()+info.Offset+7] ^= 0x01 // element 1: 1 becomes 0.25
	path := filepath.Join(t.TempDir(), "flipped.gguf")
	if err := os.WriteFile(path, c, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load("flipped.gguf", c, Options{}); err == nil || !strings.Contains(err.Error(), "flipped.gguf: checksum mismatch: data section") {
		t.Errorf("Load: %v, want a data checksum error", err)
	}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "checksum mismatch: data section") || !strings.Contains(err.Error(), path) {
		t.Errorf("Open: %v, want a data checksum error naming %s", err, path)
	}
	m, err := Load("flipped.gguf", c, Options{SkipChecksum: true})
	if err != nil {
		t.Fatalf("SkipChecksum: %v", err)
	}
	defer m.Close()
	if slices.Equal(probe(m), probe(mustLoad(t, b))) {
		t.Error("the flipped weight does not change the logits: the test shows nothing")
	}
	// A header flip (a boolean option) is the header checksum's error.
	c = bytes.Clone(b)
	i := bytes.Index(c, []byte("quamba.out_proj_hadamard"))
	c[i+len("quamba.out_proj_hadamard")+4] ^= 1
	if _, err := Load("option.gguf", c, Options{}); err == nil || !strings.Contains(err.Error(), "option.gguf: checksum mismatch: header") {
		t.Errorf("flipped option: %v, want a header checksum error", err)
	}
}

// renameKey returns a copy of b with the metadata key from renamed to to
// (of the same length) in place.
func renameKey(t *testing.T, b []byte, from, to string) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(from))
	if i < 0 || len(from) != len(to) {
		t.Fatalf("key %q not found", from)
	}
	c := bytes.Clone(b)
	copy(c[i:], to)
	return c
}

// setU32 returns a copy of b with the UINT32 metadata value of key set
// in place.
func setU32(t *testing.T, b []byte, key string, v uint32) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		t.Fatalf("key %q not found", key)
	}
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[i+len(key)+4:], v)
	return c
}

// Versions: a newer artifact is refused naming its version and the ones
// this build reads; a version 2 artifact without the header checksum is
// refused; a version 1 artifact (written before the header checksum) still
// loads and runs as before.
func TestLoadArtifactVersions(t *testing.T) {
	b := tinyArtifact(t, formats.Mamba1, quant.W8A8)
	want := probe(mustLoad(t, b))
	// Unsealing the header (renaming its checksum key) lets the edits
	// below reach the artifact reader.
	unsealed := renameKey(t, b, formats.GGUFHeaderChecksumKey, "quamba.header_xxhashXX")

	_, err := Load("unsealed.gguf", unsealed, Options{})
	if err == nil || !strings.Contains(err.Error(), "unsealed.gguf") || !strings.Contains(err.Error(), formats.GGUFHeaderChecksumKey) {
		t.Errorf("version 2 without the header checksum: %v", err)
	}
	newer := setU32(t, unsealed, "quamba.format_version", quant.ArtifactVersion+1)
	_, err = Load("newer.gguf", newer, Options{})
	for _, part := range []string{"newer.gguf", fmt.Sprintf("version %d is newer", quant.ArtifactVersion+1), fmt.Sprintf("versions 1 to %d", quant.ArtifactVersion)} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("newer version: %v, want %q", err, part)
		}
	}
	// A newer version with an intact header checksum is refused the same.
	sealedNewer := rewriteArtifact(t, b, "quamba.format_version", uint32(quant.ArtifactVersion+1))
	if _, err := Load("newer.gguf", sealedNewer, Options{}); err == nil || !strings.Contains(err.Error(), "is newer") {
		t.Errorf("sealed newer version: %v", err)
	}
	v1 := setU32(t, unsealed, "quamba.format_version", 1)
	m, err := Load("v1.gguf", v1, Options{})
	if err != nil {
		t.Fatalf("version 1: %v", err)
	}
	defer m.Close()
	if !slices.Equal(probe(m), want) {
		t.Error("the version 1 artifact runs differently")
	}
}

// rewriteArtifact writes the GGUF file b again through formats.WriteGGUF
// with the metadata key set to v (checksums recomputed).
func rewriteArtifact(t *testing.T, b []byte, key string, v any) []byte {
	t.Helper()
	g, err := formats.ParseGGUF("src.gguf", b)
	if err != nil {
		t.Fatal(err)
	}
	var kv []formats.GGUFKV
	for _, m := range g.Metadata() {
		switch m.Key {
		case formats.GGUFAlignmentKey, formats.GGUFChecksumKey, formats.GGUFHeaderChecksumKey:
			continue
		case key:
			m.Value = v
		}
		kv = append(kv, m)
	}
	var ts []formats.GGUFTensor
	for _, info := range g.Tensors() {
		d, err := g.Tensor(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, formats.GGUFTensor{Name: info.Name, Type: info.Type, Shape: info.Shape, Data: bytes.Clone(d)})
	}
	path := filepath.Join(t.TempDir(), "rewritten.gguf")
	if err := formats.WriteGGUF(path, kv, ts); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// An artifact whose quamba.config_json describes far more layers than the
// file holds (its checksums intact: written that way) is refused before
// anything of the configured size is built: n_layer=1<<20 took 11 GB and a
// minute to fail, n_layer=1<<24 (in range for a config.json) ran out of
// memory. Other sizes are refused by the shape checks at no cost.
func TestLoadArtifactConfigSizes(t *testing.T) {
	b := tinyArtifact(t, formats.Mamba1, quant.W8A8)
	g, err := formats.ParseGGUF("tiny.gguf", b)
	if err != nil {
		t.Fatal(err)
	}
	cj, err := g.String("quamba.config_json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		v    int
		want string
	}{
		{"n_layer", 1 << 24, "quamba.config_json: n_layer=16777216 describes"},
		{"n_layer", 1 << 30, "n_layer=1073741824 is out of range"},
		{"d_model", 1 << 20, "has shape [32 16], want [32 1048576]"},
		{"vocab_size", 1 << 24, "want [16777216 16]"},
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(cj), &m); err != nil {
			t.Fatal(err)
		}
		m[tc.key] = tc.v
		edited, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		c := rewriteArtifact(t, b, "quamba.config_json", string(edited))
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		_, err = Load("sizes.gguf", c, Options{})
		goruntime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "sizes.gguf") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%d: %v, want an error containing %q", tc.key, tc.v, err, tc.want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("%s=%d: Load allocated %d MB before refusing it", tc.key, tc.v, grew>>20)
		}
	}
}
