package formats

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stFile assembles a safetensors image from a raw JSON header and data.
func stFile(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestSafetensorsCorrupt(t *testing.T) {
	d12 := make([]byte, 12)
	d20 := make([]byte, 20)
	cases := []struct {
		name  string
		file  []byte
		parts []string
	}{
		{"short", []byte{1, 2, 3}, []string{"shorter than the 8-byte header length"}},
		{"header past EOF", append([]byte{0xff, 0xff, 0, 0, 0, 0, 0, 0}, `{}`...), []string{"runs past the end"}},
		{"header huge", append([]byte{0, 0, 0, 0, 0, 0, 0, 0x7f}, `{}`...), []string{"exceeds"}},
		{"not json", stFile(`{"a":`, nil), []string{"invalid JSON"}},
		{"not object", stFile(`[1]`, nil), []string{"start with '{'"}},
		{"trailing", stFile(`{} {}`, nil), []string{"trailing data"}},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, d12),
			[]string{`tensor "b"`, `overlap tensor "a"`}},
		{"duplicate range", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, d12[:8]),
			[]string{`tensor "b"`, "overlap"}},
		{"hole", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}`, d20),
			[]string{`tensor "b"`, "hole of 4"}},
		{"unindexed tail", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, d12), []string{"4 unindexed bytes"}},
		{"past data", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, d12[:8]), []string{`tensor "a"`, "run past"}},
		{"dtype size", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, d12[:8]), []string{`tensor "a"`, "needs 12 bytes"}},
		{"f16 size", stFile(`{"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}}`, make([]byte, 16)), []string{`tensor "w"`, "needs 8 bytes"}},
		{"begin after end", stFile(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}`, d12[:8]), []string{`tensor "a"`, "begin after end"}},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, d12[:4]), []string{`tensor "a"`, "invalid dimension"}},
		{"overflow", stFile(`{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}`, d12[:4]), []string{`tensor "a"`, "too many elements"}},
		{"unknown dtype", stFile(`{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}`, d12[:4]), []string{`tensor "a"`, "unknown dtype"}},
		{"missing dtype", stFile(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, d12[:4]), []string{`tensor "a"`, "dtype missing"}},
		{"missing shape", stFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, d12[:4]), []string{`tensor "a"`, "shape missing"}},
		{"bad offsets", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, d12[:4]), []string{`tensor "a"`, "data_offsets"}},
		{"unknown field", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, d12[:4]), []string{`tensor "a"`, "unknown field"}},
		{"duplicate name", stFile(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`, nil), []string{`duplicate entry "a"`}},
		{"metadata", stFile(`{"__metadata__":{"k":1}}`, nil), []string{"__metadata__"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, "bad.safetensors", tc.file)
			_, err := OpenSafetensors(p)
			wantErr(t, err, append(tc.parts, p)...)
		})
	}
}

func TestSafetensorsTruncatedFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/hand.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if _, err := parseSafetensors("cut.safetensors", b[:n]); err == nil || !strings.Contains(err.Error(), "cut.safetensors") {
			t.Fatalf("truncated to %d bytes: error %v", n, err)
		}
	}
}

// rezip rewrites a PyTorch zip with one record's bytes replaced.
func rezip(t *testing.T, src, record string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, record) {
			b = edit(b)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestPyTorchCorrupt(t *testing.T) {
	src := "testdata/torch_mixed.bin"
	orig, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{0, 10, len(orig) / 2, len(orig) - 1} {
			p := writeTemp(t, "cut.bin", orig[:n])
			_, err := OpenPyTorch(p)
			wantErr(t, err, p)
		}
	})
	t.Run("pickle prefixes", func(t *testing.T) {
		// Every truncation of data.pkl is an error, never a panic.
		var pkl []byte
		rezip(t, src, "/data.pkl", func(b []byte) []byte { pkl = b; return b })
		for n := 0; n < len(pkl); n++ {
			b := rezip(t, src, "/data.pkl", func(b []byte) []byte { return b[:n] })
			if _, err := parsePyTorch("p.bin", b); err == nil || !strings.Contains(err.Error(), "p.bin") {
				t.Fatalf("data.pkl cut to %d bytes: error %v", n, err)
			}
		}
	})
	t.Run("pickle byte flips", func(t *testing.T) {
		rng := rand.New(rand.NewSource(1))
		for i := 0; i < 300; i++ {
			b := rezip(t, src, "/data.pkl", func(b []byte) []byte {
				b = append([]byte(nil), b...)
				for k := 0; k < 1+rng.Intn(3); k++ {
					b[rng.Intn(len(b))] = byte(rng.Intn(256))
				}
				return b
			})
			ck, err := parsePyTorch("f.bin", b) // may succeed when a flip hits a name
			if err == nil {
				ck.file = &mappedFile{data: b}
				for _, n := range ck.Names() {
					ck.Float32(n)
				}
			}
		}
	})
	t.Run("storage crc", func(t *testing.T) {
		// Flip one byte inside the storage of "f32" (record data/0 for the
		// first tensor saved) without touching the zip directory.
		zr, _ := zip.OpenReader(src)
		var off int64
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, "/data/0") {
				off, _ = f.DataOffset()
			}
		}
		zr.Close()
		b := append([]byte(nil), orig...)
		b[off+1] ^= 0x40
		p := writeTemp(t, "crc.bin", b)
		ck, err := OpenPyTorch(p)
		if err != nil {
			t.Fatal(err)
		}
		defer ck.Close()
		var failed []string
		for _, n := range ck.Names() {
			if _, _, err := ck.Float32(n); err != nil {
				wantErr(t, err, p, n, "CRC")
				failed = append(failed, n)
			}
		}
		if len(failed) == 0 {
			t.Fatal("corrupted storage not detected")
		}
	})
	t.Run("short storage", func(t *testing.T) {
		p := writeTemp(t, "s.bin", rezip(t, src, "/data/0", func(b []byte) []byte { return b[:len(b)-4] }))
		_, err := OpenPyTorch(p)
		wantErr(t, err, p, "storage", "bytes")
	})
	t.Run("missing storage", func(t *testing.T) {
		p := writeTemp(t, "m.bin", rezip(t, src, "/data.pkl", func(b []byte) []byte {
			// Point the first storage at a key that has no record ('0' -> 'Z').
			i := bytes.Index(b, []byte("X\x01\x00\x00\x000"))
			if i < 0 {
				t.Skip("storage key encoding not found")
			}
			b = append([]byte(nil), b...)
			b[i+5] = 'Z'
			return b
		}))
		_, err := OpenPyTorch(p)
		wantErr(t, err, p, `storage "Z"`)
	})
	t.Run("big endian", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "be.bin")
		if err := WritePyTorch(p, map[string]TensorData{"w": Float32Tensor([]float32{1}, 1)}); err != nil {
			t.Fatal(err)
		}
		p = writeTemp(t, "be.bin", rezip(t, p, "/byteorder", func([]byte) []byte { return []byte("big") }))
		_, err := OpenPyTorch(p)
		wantErr(t, err, p, `byte order "big"`)
	})
	t.Run("not a zip", func(t *testing.T) {
		p := writeTemp(t, "x.bin", []byte("hello world, not a checkpoint"))
		_, err := OpenPyTorch(p)
		wantErr(t, err, p, "not a PyTorch zip")
	})
}

// TestPyTorchViewOutOfRange hand-assembles a pickle whose view reaches past
// its storage.
func TestPyTorchViewOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name        string
		offset      int64
		size, strid []int
		want        string
	}{
		{"past end", 2, []int{3}, []int{1}, "reaches element 4"},
		{"stride", 0, []int{2, 2}, []int{3, 1}, "reaches element 4"},
		{"rank", 0, []int{2}, []int{1, 1}, "differ in rank"},
		{"negative", 0, []int{-2}, []int{1}, "negative dimension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pk := newPickler()
			pk.global("collections", "OrderedDict")
			pk.op(opEmptyTuple, opReduce, opMark)
			pk.unicode("w")
			pk.global("torch._utils", "_rebuild_tensor_v2")
			pk.op(opMark, opMark)
			pk.unicode("storage")
			pk.global("torch", "FloatStorage")
			pk.unicode("0")
			pk.unicode("cpu")
			pk.int(4)
			pk.op(opTuple, opBinPersID)
			pk.int(tc.offset)
			pk.intTuple(tc.size)
			pk.intTuple(tc.strid)
			pk.op(opNewFalse)
			pk.global("collections", "OrderedDict")
			pk.op(opEmptyTuple, opReduce, opTuple, opReduce, opSetItems, opStop)
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
			w.Write(pk.buf.Bytes())
			w, _ = zw.CreateHeader(&zip.FileHeader{Name: "archive/data/0", Method: zip.Store})
			w.Write(make([]byte, 16))
			zw.Close()
			p := writeTemp(t, "v.bin", buf.Bytes())
			_, err := OpenPyTorch(p)
			wantErr(t, err, p, `tensor "w"`, tc.want)
		})
	}
}

// tinyModelCopy copies a fixture model directory for editing.
func tinyModelCopy(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	os.MkdirAll(dst, 0o755)
	ents, err := os.ReadDir(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join("testdata", name, e.Name()))
		os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644)
	}
	return dst
}

// loadMem reads every tensor of a checkpoint into a MemCheckpoint (F32).
func loadMem(t *testing.T, path string) map[string]TensorData {
	t.Helper()
	ck, err := OpenCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	m := map[string]TensorData{}
	for _, n := range ck.Names() {
		d, s, err := ck.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		m[n] = Float32Tensor(d, s...)
	}
	return m
}

func TestOpenModelErrors(t *testing.T) {
	const sharded = "tiny-mamba-hf-sharded"
	cfgPath := filepath.Join("testdata", "tiny-mamba2-ss", "config.json")
	cfg, err := ReadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	base := loadMem(t, "testdata/tiny-mamba2-ss/pytorch_model.bin")
	// Each case edits a copy of the tiny state-spaces model, rewritten as
	// a PyTorch file, and expects OpenModel or Tensor to fail naming the
	// file and the tensor.
	cases := []struct {
		name   string
		edit   func(m map[string]TensorData, c *Config)
		tensor string // loaded through Tensor when OpenModel succeeds
		parts  []string
	}{
		{"missing", func(m map[string]TensorData, c *Config) { delete(m, "backbone.layers.1.mixer.D") }, "",
			[]string{`"backbone.layers.1.mixer.D" missing`}},
		{"wrong shape", func(m map[string]TensorData, c *Config) {
			m["backbone.layers.0.mixer.dt_bias"] = Float32Tensor(make([]float32, 5), 5)
		}, "", []string{`"backbone.layers.0.mixer.dt_bias" has shape [5], config needs [4]`}},
		{"vocab rows", func(m map[string]TensorData, c *Config) {
			c.VocabSize, c.PaddedVocab = 20, 32
		}, "", []string{`"backbone.embedding.weight" has shape [16 8]`, "vocab rows 32"}},
		{"extra layer", func(m map[string]TensorData, c *Config) {
			m["backbone.layers.2.norm.weight"] = Float32Tensor(make([]float32, 8), 8)
		}, "", []string{`unexpected tensor "backbone.layers.2.norm.weight"`}},
		{"untied without lm_head", func(m map[string]TensorData, c *Config) {
			delete(m, LMHeadName)
			c.TieEmbeddings = false
		}, "", []string{`"lm_head.weight" missing`}},
		{"nan", func(m map[string]TensorData, c *Config) {
			v := append([]float32(nil), m["backbone.layers.1.mixer.A_log"].F32...)
			v[2] = float32(math.NaN())
			m["backbone.layers.1.mixer.A_log"] = Float32Tensor(v, 4)
		}, "backbone.layers.1.mixer.A_log", []string{`"backbone.layers.1.mixer.A_log": element 2 is NaN`}},
		{"inf", func(m map[string]TensorData, c *Config) {
			v := append([]float32(nil), m["backbone.norm_f.weight"].F32...)
			v[7] = float32(math.Inf(-1))
			m["backbone.norm_f.weight"] = Float32Tensor(v, 8)
		}, "backbone.norm_f.weight", []string{`"backbone.norm_f.weight": element 7 is -Inf`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]TensorData{}
			for k, v := range base {
				m[k] = v
			}
			c := cfg
			tc.edit(m, &c)
			dir := t.TempDir()
			weights := filepath.Join(dir, PyTorchFile)
			if err := WritePyTorch(weights, m); err != nil {
				t.Fatal(err)
			}
			data, err := MarshalConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, ConfigFile), data, 0o644)
			mf, err := OpenModel(dir)
			if err == nil {
				defer mf.Close()
				if tc.tensor == "" {
					t.Fatal("OpenModel succeeded")
				}
				_, err = mf.Tensor(tc.tensor)
			}
			wantErr(t, err, append(tc.parts, weights)...)
		})
	}
	t.Run("shape argument", func(t *testing.T) {
		mf, err := OpenModel(filepath.Join("testdata", sharded))
		if err != nil {
			t.Fatal(err)
		}
		defer mf.Close()
		_, err = mf.Tensor("backbone.norm_f.weight", 9)
		wantErr(t, err, "model-0000", `"backbone.norm_f.weight" has shape [8], want [9]`)
		_, err = mf.Tensor("backbone.layers.7.norm.weight")
		wantErr(t, err, `"backbone.layers.7.norm.weight" is not part`)
	})
	t.Run("shard missing tensor", func(t *testing.T) {
		dir := tinyModelCopy(t, sharded)
		idx := filepath.Join(dir, SafetensorsIndexFile)
		b, _ := os.ReadFile(idx)
		b = bytes.Replace(b, []byte(`"backbone.norm_f.weight": "model-00002`), []byte(`"backbone.norm_f.weight": "model-00001`), 1)
		os.WriteFile(idx, b, 0o644)
		_, err := OpenModel(dir)
		wantErr(t, err, idx, `tensor "backbone.norm_f.weight"`, "not found in shard")
	})
	t.Run("shard path escape", func(t *testing.T) {
		dir := tinyModelCopy(t, sharded)
		idx := filepath.Join(dir, SafetensorsIndexFile)
		b, _ := os.ReadFile(idx)
		b = bytes.Replace(b, []byte(`"backbone.norm_f.weight": "model-00002`), []byte(`"backbone.norm_f.weight": "../model-00002`), 1)
		os.WriteFile(idx, b, 0o644)
		_, err := OpenModel(dir)
		wantErr(t, err, idx, `tensor "backbone.norm_f.weight"`, "plain file name")
	})
	t.Run("no weights", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"d_model": 8, "n_layer": 1}`), 0o644)
		_, err := OpenModel(dir)
		wantErr(t, err, dir, "no model.safetensors")
	})
}
