package formats

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// editConfig rewrites dir/config.json with the top-level keys of set.
func editConfig(t *testing.T, dir string, set map[string]any) string {
	t.Helper()
	p := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		m[k] = v
	}
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Sizes in a config.json that cannot match the weights are errors naming
// config.json, found before anything of the configured size is allocated:
// out-of-range sizes by ReadConfig, a layer count far beyond the file's
// tensors before the schema is built, in-range sizes by the shape checks.
func TestConfigSizesCheckedBeforeAllocating(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   map[string]any
		parts []string
	}{
		{"d_model 1<<40", map[string]any{"d_model": 1 << 40}, []string{"d_model=1099511627776", "out of range"}},
		{"vocab 1<<31", map[string]any{"vocab_size": 1 << 31}, []string{"vocab_size=2147483648 is out of range"}},
		{"n_layer 1<<24", map[string]any{"n_layer": 1 << 24}, []string{"n_layer=16777216", "does not match the weights", PyTorchFile}},
		{"n_layer 1<<30", map[string]any{"n_layer": 1 << 30}, []string{"n_layer=1073741824 is out of range"}},
		{"d_model 1<<20", map[string]any{"d_model": 1 << 20}, []string{"config needs", PyTorchFile}},
		{"vocab 1<<24", map[string]any{"vocab_size": 1 << 24}, []string{"config needs [16777216 8]", PyTorchFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tinyModelCopy(t, "tiny-mamba2-ss")
			cfg := editConfig(t, dir, tc.set)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			m, err := OpenModel(dir)
			runtime.ReadMemStats(&after)
			if err == nil {
				m.Close()
			}
			wantErr(t, err, append(tc.parts, cfg)...)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("OpenModel allocated %d MB before refusing the configuration", grew>>20)
			}
		})
	}
}

// A model directory with two weight files is an error naming both, never
// a silent choice of one.
func TestTwoWeightFiles(t *testing.T) {
	for _, pair := range [][2]string{
		{SafetensorsFile, PyTorchFile},
		{SafetensorsIndexFile, SafetensorsFile},
		{PyTorchIndexFile, PyTorchFile},
	} {
		t.Run(pair[0]+"+"+pair[1], func(t *testing.T) {
			dir := tinyModelCopy(t, "tiny-mamba2-ss")
			m := loadMem(t, filepath.Join(dir, PyTorchFile))
			for _, name := range pair {
				p := filepath.Join(dir, name)
				switch name {
				case SafetensorsFile:
					if err := WriteSafetensors(p, m, nil); err != nil {
						t.Fatal(err)
					}
				case PyTorchFile:
					// already there
				default:
					if err := os.WriteFile(p, []byte(`{"weight_map": {}}`), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := os.Stat(filepath.Join(dir, PyTorchFile)); err == nil && pair[0] != PyTorchFile && pair[1] != PyTorchFile {
				os.Remove(filepath.Join(dir, PyTorchFile))
			}
			_, err := OpenModel(dir)
			wantErr(t, err, filepath.Join(dir, pair[0]), filepath.Join(dir, pair[1]), "2 weight files", "keep one")
			_, err = OpenCheckpoint(dir)
			wantErr(t, err, filepath.Join(dir, pair[0]), filepath.Join(dir, pair[1]))
		})
	}
	// One weight file, reached through a symlink, is fine.
	dir := t.TempDir()
	src := tinyModelCopy(t, "tiny-mamba2-ss")
	for _, name := range []string{ConfigFile, PyTorchFile} {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(dir, name)); err != nil {
			t.Skip("no symlinks here:", err)
		}
	}
	m, err := OpenModel(dir)
	if err != nil {
		t.Fatalf("symlinked model directory: %v", err)
	}
	m.Close()
}

// A NaN or an infinity in a safetensors tensor (the PyTorch case is in
// TestOpenModelErrors) is an error naming the file and the tensor.
func TestNonFiniteSafetensors(t *testing.T) {
	dir := tinyModelCopy(t, "tiny-mamba2-ss")
	m := loadMem(t, filepath.Join(dir, PyTorchFile))
	os.Remove(filepath.Join(dir, PyTorchFile))
	const name = "backbone.layers.0.mixer.in_proj.weight"
	v := append([]float32(nil), m[name].F32...)
	v[5] = float32(math.Inf(1))
	m[name] = Float32Tensor(v, m[name].Shape...)
	p := filepath.Join(dir, SafetensorsFile)
	if err := WriteSafetensors(p, m, nil); err != nil {
		t.Fatal(err)
	}
	mf, err := OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	_, err = mf.Tensor(name)
	wantErr(t, err, p, `"`+name+`": element 5 is +Inf`)
}

// openers are the readers of user files that take a path.
var openers = []struct {
	name string
	open func(string) error
}{
	{"ReadConfig", func(p string) error { _, err := ReadConfig(p); return err }},
	{"OpenSafetensors", func(p string) error { return closeIf(OpenSafetensors(p)) }},
	{"OpenPyTorch", func(p string) error { return closeIf(OpenPyTorch(p)) }},
	{"OpenCheckpoint", func(p string) error { return closeIf(OpenCheckpoint(p)) }},
	{"OpenSafetensorsIndex", func(p string) error { return closeIf(OpenSafetensorsIndex(p)) }},
	{"OpenGGUF", func(p string) error { return closeIf(OpenGGUF(p)) }},
	{"Inspect", func(p string) error { _, err := Inspect(p); return err }},
}

func closeIf[T interface{ Close() error }](c T, err error) error {
	if err == nil {
		c.Close()
	}
	return err
}

// A directory where a file is expected is an error naming it (OpenCheckpoint
// and Inspect take a model directory; an empty one has no weights).
func TestDirectoryWhereFileExpected(t *testing.T) {
	dir := t.TempDir()
	for _, o := range openers {
		err := o.open(dir)
		switch o.name {
		case "OpenCheckpoint", "Inspect":
			wantErr(t, err, dir)
		default:
			wantErr(t, err, dir, "not a regular file (a directory)")
		}
	}
	// A weight file that is a directory.
	model := tinyModelCopy(t, "tiny-mamba2-ss")
	os.Remove(filepath.Join(model, PyTorchFile))
	os.Mkdir(filepath.Join(model, SafetensorsFile), 0o755)
	_, err := OpenModel(model)
	wantErr(t, err, filepath.Join(model, SafetensorsFile), "not a regular file (a directory)")
	if !strings.Contains(err.Error(), "a directory") {
		t.Error(err)
	}
}

// A finite weight that overflows later (1e38: squared by RMSNorm, summed by
// a projection) is an error naming the file, the tensor and the element,
// in either checkpoint format; a large but plausible one reads.
func TestOverflowingWeights(t *testing.T) {
	for _, big := range []float32{1e38, -3e38, 2e15} {
		for _, format := range []string{SafetensorsFile, PyTorchFile} {
			dir := tinyModelCopy(t, "tiny-mamba2-ss")
			m := loadMem(t, filepath.Join(dir, PyTorchFile))
			os.Remove(filepath.Join(dir, PyTorchFile))
			const name = "backbone.layers.1.mixer.out_proj.weight"
			v := append([]float32(nil), m[name].F32...)
			v[6] = big
			m[name] = Float32Tensor(v, m[name].Shape...)
			p := filepath.Join(dir, format)
			var err error
			if format == SafetensorsFile {
				err = WriteSafetensors(p, m, nil)
			} else {
				err = WritePyTorch(p, m)
			}
			if err != nil {
				t.Fatal(err)
			}
			mf, err := OpenModel(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = mf.Tensor(name)
			mf.Close()
			wantErr(t, err, p, fmt.Sprintf(`%q: element 6 is %g, beyond`, name, big))
		}
	}
	dir := tinyModelCopy(t, "tiny-mamba2-ss")
	m := loadMem(t, filepath.Join(dir, PyTorchFile))
	const name = "backbone.layers.1.mixer.out_proj.weight"
	v := append([]float32(nil), m[name].F32...)
	v[6] = 1e6
	m[name] = Float32Tensor(v, m[name].Shape...)
	if err := WritePyTorch(filepath.Join(dir, PyTorchFile), m); err != nil {
		t.Fatal(err)
	}
	mf, err := OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	if _, err := mf.Tensor(name); err != nil {
		t.Errorf("a weight of 1e6: %v", err)
	}
}
