package formats

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzSafetensorsHeader feeds arbitrary bytes as a safetensors file: any
// input is either rejected with an error or yields tensors whose data can
// be read back with the declared sizes.
func FuzzSafetensorsHeader(f *testing.F) {
	for _, p := range []string{
		"testdata/hand.safetensors",
		"testdata/tiny-mamba-hf-sharded/model-00001-of-00002.safetensors",
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)))
	f.Add(stFile(`{"__metadata__":{"format":"pt"},"x":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]}}`, []byte{0, 0x3f, 0x80, 0xbf}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSafetensors("fuzz.safetensors", data)
		if err != nil {
			return
		}
		for _, name := range s.Names() {
			info, ok := s.Info(name)
			if !ok {
				t.Fatalf("%q listed but has no info", name)
			}
			n, err := checkedProduct(info.Shape, maxElements)
			if err != nil {
				t.Fatalf("%q: accepted shape %v: %v", name, info.Shape, err)
			}
			if !info.DType.convertible() {
				continue
			}
			v, shape, err := s.Float32(name)
			if err != nil || int64(len(v)) != n || !shapeEqual(shape, info.Shape) {
				t.Fatalf("%q: Float32 gave %d values, shape %v, err %v; want %d", name, len(v), shape, err, n)
			}
		}
	})
}

// FuzzConfig feeds arbitrary bytes as config.json: no panic, and every
// accepted configuration survives a write/read round trip unchanged.
func FuzzConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/configs/*.json")
	files = append(files, "testdata/tiny-mamba2-ss/config.json", "testdata/tiny-mamba-hf-sharded/config.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"d_model": 64, "n_layer": 1, "ssm_cfg": {"layer": "Mamba2", "headdim": 8, "dt_limit": [0.001, 0.1]}}`))
	f.Add([]byte(`{"model_type": "mamba", "time_step_rank": "auto", "hidden_size": 24}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "config.json")
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
		out, err := MarshalConfig(cfg)
		if err != nil {
			if cfg.Convention == StateSpaces && cfg.NormEps != 1e-5 {
				return
			}
			t.Fatalf("cannot write accepted config %+v: %v", cfg, err)
		}
		back, err := ParseConfig(out, "written.json")
		if err != nil {
			t.Fatalf("cannot re-read written config: %v\n%s", err, out)
		}
		if cfg.Convention == HuggingFace {
			back.PadVocabSizeMultiple = cfg.PadVocabSizeMultiple
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", cfg, back)
		}
	})
}

// FuzzPyTorchPickle runs arbitrary data.pkl bytes against the storages of
// the torch_mixed.bin fixture: errors are fine, panics are not, and
// accepted tensors read back with their declared sizes.
func FuzzPyTorchPickle(f *testing.F) {
	zr, err := zip.OpenReader("testdata/torch_mixed.bin")
	if err != nil {
		f.Fatal(err)
	}
	records := map[string][]byte{}
	var names []string
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		records[zf.Name] = b
		names = append(names, zf.Name)
	}
	zr.Close()
	f.Add(records["torch_mixed/data.pkl"])
	f.Fuzz(func(t *testing.T, pkl []byte) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, name := range names {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			if name == "torch_mixed/data.pkl" {
				w.Write(pkl)
			} else {
				w.Write(records[name])
			}
		}
		zw.Close()
		file := buf.Bytes()
		p, err := parsePyTorch("fuzz.bin", file)
		if err != nil {
			return
		}
		p.file = &mappedFile{data: file}
		for _, name := range p.Names() {
			info, _ := p.Info(name)
			n, _ := checkedProduct(info.Shape, maxElements)
			if !info.DType.convertible() {
				continue
			}
			v, _, err := p.Float32(name)
			if err == nil && int64(len(v)) != n {
				t.Fatalf("%q: %d values, want %d", name, len(v), n)
			}
		}
	})
}
