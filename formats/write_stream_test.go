package formats

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// onDemand produces randomModel(c, seed)'s tensors one at a time, each in
// a new slice, counting the calls per name.
func onDemand(c Config, seed int, calls map[string]int) func(string) (TensorData, error) {
	shapes := c.TensorShapes()
	names := sortedKeys(shapes)
	return func(name string) (TensorData, error) {
		calls[name]++
		i := slices.Index(names, name)
		if i < 0 {
			return TensorData{}, fmt.Errorf("unknown tensor %q", name)
		}
		n, _ := checkedProduct(shapes[name], maxElements)
		v := make([]float32, n)
		for j := range v {
			v[j] = float32(math.Sin(float64(seed*1000+i*37+j))) * 2
		}
		return Float32Tensor(v, shapes[name]...), nil
	}
}

// sameDirs requires two directories to hold the same files, byte for byte.
func sameDirs(t *testing.T, a, b string) {
	t.Helper()
	ea, _ := os.ReadDir(a)
	eb, _ := os.ReadDir(b)
	if len(ea) != len(eb) || len(ea) == 0 {
		t.Fatalf("%s holds %v, %s holds %v", a, ea, b, eb)
	}
	for i, e := range ea {
		if eb[i].Name() != e.Name() {
			t.Fatalf("%s holds %v, %s holds %v", a, ea, b, eb)
		}
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, _ := os.ReadFile(filepath.Join(b, e.Name()))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs (%d and %d bytes)", e.Name(), len(x), len(y))
		}
	}
}

func TestWriteModelFromMatchesWriteModel(t *testing.T) {
	for _, arch := range []Arch{Mamba1, Mamba2} {
		for _, conv := range []Convention{StateSpaces, HuggingFace} {
			for _, tied := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s-%s-tied=%v", arch, conv, tied), func(t *testing.T) {
					c := tinyConfig(arch, conv)
					c.TieEmbeddings = tied
					tensors := randomModel(c, 4)
					if tied {
						delete(tensors, LMHeadName)
					}
					// One tensor stored as bfloat16 in both writes.
					tensors[NormFName] = TensorData{DType: BF16, Shape: tensors[NormFName].Shape, F32: tensors[NormFName].F32}
					dtype := func(name string) DType {
						if name == NormFName {
							return BF16
						}
						return F32
					}
					tmp := t.TempDir()
					whole, streamed := filepath.Join(tmp, "whole"), filepath.Join(tmp, "streamed")
					if err := WriteModel(whole, c, tensors); err != nil {
						t.Fatal(err)
					}
					calls := map[string]int{}
					gen := onDemand(c, 4, calls)
					err := WriteModelFrom(streamed, c, dtype, func(name string) (TensorData, error) {
						td, err := gen(name)
						td.DType = dtype(name)
						return td, err
					})
					if err != nil {
						t.Fatal(err)
					}
					sameDirs(t, whole, streamed)
					for name := range c.TensorShapes() {
						want := 1
						if name == LMHeadName && tied {
							want = 0
						}
						if calls[name] != want {
							t.Errorf("%s asked for %d times, want %d", name, calls[name], want)
						}
					}

					// The file writers on the layout each convention stores
					// give the same weights file.
					out := map[string]TensorData{}
					for k, v := range tensors {
						out[k] = v
					}
					var file string
					if conv == StateSpaces {
						if tied {
							out[LMHeadName] = out[EmbeddingName]
						}
						file = PyTorchFile
						err = WritePyTorch(filepath.Join(tmp, file), out)
					} else {
						out[hfEmbeddingName] = out[EmbeddingName]
						delete(out, EmbeddingName)
						file = SafetensorsFile
						err = WriteSafetensors(filepath.Join(tmp, file), out, map[string]string{"format": "pt"})
					}
					if err != nil {
						t.Fatal(err)
					}
					x, _ := os.ReadFile(filepath.Join(tmp, file))
					y, _ := os.ReadFile(filepath.Join(streamed, file))
					if !bytes.Equal(x, y) {
						t.Errorf("%s from the file writer differs from the streamed one", file)
					}
				})
			}
		}
	}
}

// The fixture models, rewritten from their own tensors read on demand.
func TestWriteModelFromFixtures(t *testing.T) {
	for _, fixture := range []string{"tiny-mamba2-ss", "tiny-mamba-hf-sharded", "tiny-mamba-ss-sharded-bin"} {
		t.Run(fixture, func(t *testing.T) {
			m, err := OpenModel(filepath.Join("testdata", fixture))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			cfg := m.Config
			tensors := map[string]TensorData{}
			for name, shape := range cfg.TensorShapes() {
				if name == LMHeadName && cfg.TieEmbeddings {
					continue
				}
				v, err := m.Tensor(name, shape...)
				if err != nil {
					t.Fatal(err)
				}
				tensors[name] = Float32Tensor(v, shape...)
			}
			tmp := t.TempDir()
			whole, streamed := filepath.Join(tmp, "whole"), filepath.Join(tmp, "streamed")
			if err := WriteModel(whole, cfg, tensors); err != nil {
				t.Fatal(err)
			}
			err = WriteModelFrom(streamed, cfg, nil, func(name string) (TensorData, error) {
				v, err := m.Tensor(name, cfg.TensorShapes()[name]...)
				return Float32Tensor(v, cfg.TensorShapes()[name]...), err
			})
			if err != nil {
				t.Fatal(err)
			}
			sameDirs(t, whole, streamed)
		})
	}
}

func TestWriteModelFromErrors(t *testing.T) {
	bad := "backbone.layers.1.mixer.D"
	for _, conv := range []Convention{StateSpaces, HuggingFace} {
		c := tinyConfig(Mamba1, conv)
		file := PyTorchFile
		if conv == HuggingFace {
			file = SafetensorsFile
		}
		for _, tc := range []struct {
			name  string
			dtype func(string) DType
			edit  func(TensorData) (TensorData, error)
			want  string
		}{
			{"error", nil, func(TensorData) (TensorData, error) { return TensorData{}, errors.New("generator failed") }, "generator failed"},
			{"shape", nil, func(td TensorData) (TensorData, error) { td.Shape = []int{4, 4}; return td, nil }, "has shape [4 4], want [16]"},
			{"short data", nil, func(td TensorData) (TensorData, error) { td.F32 = td.F32[:15]; return td, nil }, "needs 16 values"},
			{"dtype returned", nil, func(td TensorData) (TensorData, error) { td.DType = F16; return td, nil }, "has dtype F16, declared F32"},
			{"dtype declared", func(string) DType { return I8 }, nil, "has dtype I8, want F32"},
		} {
			t.Run(fmt.Sprintf("%s/%s", conv, tc.name), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "new", "model")
				gen := onDemand(c, 5, map[string]int{})
				err := WriteModelFrom(dir, c, tc.dtype, func(name string) (TensorData, error) {
					td, err := gen(name)
					if name == bad && tc.edit != nil {
						return tc.edit(td)
					}
					return td, err
				})
				if tc.dtype == nil {
					wantErr(t, err, filepath.Join(dir, file), `"`+bad+`"`, tc.want)
				} else {
					wantErr(t, err, dir, tc.want)
				}
				if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
					ents, _ := os.ReadDir(dir)
					t.Errorf("failed write left %s behind (%v)", filepath.Dir(dir), ents)
				}

				// Into an existing directory: nothing is added to it.
				dir = t.TempDir()
				gen = onDemand(c, 5, map[string]int{})
				WriteModelFrom(dir, c, tc.dtype, func(name string) (TensorData, error) {
					td, err := gen(name)
					if name == bad && tc.edit != nil {
						return tc.edit(td)
					}
					return td, err
				})
				if ents, _ := os.ReadDir(dir); len(ents) != 0 {
					t.Errorf("failed write left files: %v", ents)
				}
			})
		}
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// streamPeak writes a model whose tensors are generated on demand and
// returns the most heap live, after a collection, when a tensor is asked
// for, above the heap live before the write, and the largest tensor's and
// the whole model's float32 bytes.
func streamPeak(t testing.TB, dir string, c Config) (peak, largest, total uint64) {
	gen := onDemand(c, 6, map[string]int{})
	base := liveHeap()
	err := WriteModelFrom(dir, c, nil, func(name string) (TensorData, error) {
		if h := liveHeap(); h > base && h-base > peak {
			peak = h - base
		}
		td, err := gen(name)
		n := uint64(4 * len(td.F32))
		largest = max(largest, n)
		total += n
		return td, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return peak, largest, total
}

// Writing a model tensor by tensor holds one tensor at a time: the heap
// live when the next tensor is asked for stays within the writer's
// buffers, far below the model's size.
func TestWriteModelFromMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB model")
	}
	for _, conv := range []Convention{StateSpaces, HuggingFace} {
		t.Run(string(conv), func(t *testing.T) {
			c := tinyConfig(Mamba1, conv)
			c.DModel, c.DInner, c.NLayer, c.DtRank, c.DState = 512, 1024, 6, 32, 16
			c.VocabSize, c.PaddedVocab = 2048, 2048
			peak, largest, total := streamPeak(t, filepath.Join(t.TempDir(), "m"), c)
			t.Logf("live heap between tensors at most %.2f MiB; largest tensor %.2f MiB, model %.2f MiB",
				float64(peak)/(1<<20), float64(largest)/(1<<20), float64(total)/(1<<20))
			if total < 8*largest {
				t.Fatalf("model of %d bytes too small against its largest tensor (%d) to tell", total, largest)
			}
			if limit := largest; peak > limit {
				t.Errorf("%d bytes live between tensors, want at most %d (one tensor); model is %d bytes", peak, limit, total)
			}
		})
	}
}

// BenchmarkWriteModelFromMamba130m streams the mamba-130m model to disk
// with its tensors generated on demand and reports the most heap live
// between tensors (the largest tensor, 147 MiB of embedding, comes on top).
func BenchmarkWriteModelFromMamba130m(b *testing.B) {
	cfg, err := ReadConfig("testdata/configs/state-spaces-mamba-130m.json")
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "m")
	var peak, total uint64
	for i := 0; i < b.N; i++ {
		p, _, n := streamPeak(b, dir, cfg)
		peak, total = max(peak, p), n
	}
	b.SetBytes(int64(total))
	b.ReportMetric(float64(peak)/(1<<20), "live-MiB")
}
