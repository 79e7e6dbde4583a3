package formats

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readModel reads every tensor of the model of configuration cfg whose
// weight file holds b, parsed in memory by parse (as OpenModel does with
// the file); a panic is returned as an error saying so.
func readModel(cfg Config, b []byte, parse func([]byte) (Checkpoint, error)) (tensors map[string][]float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			tensors, err = nil, fmt.Errorf("PANIC: %v", r)
		}
	}()
	ck, err := parse(b)
	if err != nil {
		return nil, err
	}
	m, err := NewModelFiles(cfg, ck)
	if err != nil {
		return nil, err
	}
	tensors = map[string][]float32{}
	for _, t := range m.Config.Schema() {
		v, err := m.Tensor(t.Name)
		if err != nil {
			return nil, err
		}
		tensors[t.Name] = slices.Clone(v)
	}
	return tensors, nil
}

// parseST and parsePT parse a safetensors or PyTorch image in memory.
func parseST(name string) func([]byte) (Checkpoint, error) {
	return func(b []byte) (Checkpoint, error) {
		s, err := parseSafetensors(name, b)
		if err != nil {
			return nil, err
		}
		s.file = &mappedFile{data: b}
		return s, nil
	}
}

func parsePT(name string) func([]byte) (Checkpoint, error) {
	return func(b []byte) (Checkpoint, error) {
		p, err := parsePyTorch(name, b)
		if err != nil {
			return nil, err
		}
		p.file = &mappedFile{data: b}
		return p, nil
	}
}

// diffTensors counts the elements that differ between a and b (-1 when
// the tensor sets differ).
func diffTensors(a, b map[string][]float32) int {
	if len(a) != len(b) {
		return -1
	}
	n := 0
	for name, x := range a {
		y, ok := b[name]
		if !ok || len(x) != len(y) {
			return -1
		}
		for i := range x {
			if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
				n++
			}
		}
	}
	return n
}

// tinyModel returns the tiny Mamba-2 model's configuration and its
// weights written as a safetensors image and as the fixture's PyTorch file.
func tinyModel(t *testing.T) (cfg Config, st, pt []byte) {
	t.Helper()
	const dir = "testdata/tiny-mamba2-ss"
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	pt, err = os.ReadFile(filepath.Join(dir, PyTorchFile))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), SafetensorsFile)
	if err := WriteSafetensors(p, loadMem(t, filepath.Join(dir, PyTorchFile)), map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if st, err = os.ReadFile(p); err != nil {
		t.Fatal(err)
	}
	return cfg, st, pt
}

// Safetensors has no checksum. Its header (the 8-byte length and the JSON)
// is checked field by field, so every flipped header byte and every
// truncation is an error naming the file, or reads back the same tensors
// (a byte such as a __metadata__ value or JSON whitespace that changes no
// tensor). A flipped data byte is undetectable by design: the format stores
// no checksum, so it reads back as a different weight unless it makes the
// value NaN or infinite (then the finite check names the tensor).
func TestSafetensorsCorruptionSweep(t *testing.T) {
	cfg, b, _ := tinyModel(t)
	hlen := 8 + int(binary.LittleEndian.Uint64(b))
	var cuts []int
	for n := 0; n < len(b); n += 7 {
		cuts = append(cuts, n)
	}
	cuts = append(cuts, 7, 8, hlen-1, hlen, len(b)-1)
	silent := weightSweep(t, cfg, "st.safetensors", b, parseST("st.safetensors"), stride(0, hlen, 1), cuts)
	if len(silent) > 0 {
		t.Errorf("%d header flips read back as other tensors, first at byte %d", len(silent), silent[0])
	}
	// The data section: silent by design, or an error naming the tensor.
	data := weightSweep(t, cfg, "st.safetensors", b, parseST("st.safetensors"), stride(hlen, len(b), 13), nil)
	if len(data) == 0 {
		t.Error("no data flip went undetected: does safetensors have a checksum now? update the comment")
	}
}

// weightSweep reads each corruption of a weight file (its bytes b, named
// name in errors) with the configuration cfg: a flip at an offset in flips
// (xored with 0x01, 0x80 and 0xff) or a truncation at a length in cuts must
// give an error naming the file, or the original tensors (a byte the reader
// does not interpret). It returns the flips that read back as other
// tensors.
func weightSweep(t *testing.T, cfg Config, name string, b []byte, parse func([]byte) (Checkpoint, error), flips, cuts []int) []int {
	t.Helper()
	want, err := readModel(cfg, b, parse)
	if err != nil {
		t.Fatal(err)
	}
	var silent []int
	try := func(what string, c []byte) bool {
		got, err := readModel(cfg, c, parse)
		switch {
		case err != nil && strings.HasPrefix(err.Error(), "PANIC"):
			t.Fatalf("%s: %v", what, err)
		case err != nil && !strings.Contains(err.Error(), name):
			t.Fatalf("%s: error %q does not name %s", what, err, name)
		case err == nil:
			return diffTensors(got, want) == 0
		}
		return true
	}
	for _, i := range flips {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= x
			if !try(fmt.Sprintf("byte %d of %d ^ %#02x", i, len(b), x), c) {
				silent = append(silent, i)
			}
		}
	}
	for _, n := range cuts {
		if !try(fmt.Sprintf("truncated to %d of %d bytes", n, len(b)), b[:n:n]) {
			t.Errorf("truncated to %d of %d bytes: read as other tensors", n, len(b))
		}
	}
	return silent
}

// stride lists from, from+step, ... below to.
func stride(from, to, step int) []int {
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}

// A PyTorch checkpoint is a zip whose records carry CRC-32s: every flipped
// byte (every other byte; every seventh with -short) of the storages and of
// data.pkl, and every truncation, is an error naming the file. Only bytes the reader does not interpret (the local file
// headers' copies of the names, the zip comment and extra fields, the
// versions and times) may read back, and then as the same tensors.
func TestPyTorchCorruptionSweep(t *testing.T) {
	cfg, _, b := tinyModel(t)
	step := 2 // every byte: 4 s here, 23 s under qemu-aarch64
	if testing.Short() {
		step = 7
	}
	const name = "pt.bin"
	silent := weightSweep(t, cfg, name, b, parsePT(name), stride(0, len(b), step), stride(0, len(b), 11))
	if len(silent) > 0 {
		t.Errorf("%d flips read back as other tensors, first at byte %d", len(silent), silent[0])
	}
	// A flip inside a storage record is the CRC's error, naming the tensor.
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil || f.CompressedSize64 == 0 || !strings.Contains(f.Name, "/data/") {
			continue
		}
		c := bytes.Clone(b)
		c[off+int64(f.CompressedSize64)/2] ^= 0x10
		_, err = readModel(cfg, c, parsePT(name))
		wantErr(t, err, name, "tensor \"", "fails its CRC check")
		n++
	}
	if n == 0 {
		t.Fatal("no storage record found")
	}
}
