package calib

import (
	"context"
	"math"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/tokenizer"
)

var bundled = []string{"../testdata/mamba1-shakespeare", "../testdata/mamba2-shakespeare"}

func loadBundled(t *testing.T, dir string) *model.Model {
	t.Helper()
	m, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func shakespeare(t *testing.T, n, L int, seed uint64) *Dataset {
	t.Helper()
	ds, err := LoadData(DataConfig{Files: []string{"../testdata/shakespeare-heldout.txt"}, Tokenizer: tokenizer.Bytes(),
		Samples: n, SeqLen: L, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestGOMAXPROCSDoesNotChangeStats runs the same calibration of the bundled
// models with GOMAXPROCS 1, 2 and 3 and requires identical statistics.
func TestGOMAXPROCSDoesNotChangeStats(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, dir := range bundled {
		m := loadBundled(t, dir)
		ds := shakespeare(t, 8, 64, 42)
		plan := fullPlan(m.Config, 0.9995)
		var ref *Stats
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			st, err := Calibrate(context.Background(), FP32(m), plan, ds, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = st
				continue
			}
			if !reflect.DeepEqual(ref, st) {
				t.Errorf("%s: GOMAXPROCS %d gives other statistics than GOMAXPROCS 1", dir, procs)
			}
		}
		if x, _ := ref.AbsMax(0, model.PointX); !(x > 0) {
			t.Errorf("%s: max |x| of layer 0 is %v", dir, x)
		}
	}
}

// TestAgreesWithForward compares statistics with what a plain Forward of the
// same samples shows an ObserverFunc, with samples longer than the engine's
// chunk so that points are reported in several pieces.
func TestAgreesWithForward(t *testing.T) {
	for _, dir := range bundled {
		m := loadBundled(t, dir)
		cfg := m.Config
		ds := shakespeare(t, 5, 300, 3) // more samples than workers: sessions are reused
		plan := Plan{
			MinMax:         AllLayers(cfg, model.PointX, model.PointLMHeadInput),
			ChannelMeanAbs: AllLayers(cfg, model.PointX),
			Percentile:     AllLayers(cfg, model.PointY),
			Alpha:          0.99,
			State:          &StatePlan{},
		}
		st, err := Calibrate(context.Background(), FP32(m), plan, ds, Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		L, E := cfg.NLayer, cfg.DInner
		maxX := make([]float64, L+1) // index layer+1
		meanX := make([][]float64, L)
		stateMax := make([]float64, L)
		pctY := make([]float64, L)
		for i := range meanX {
			meanX[i] = make([]float64, E)
		}
		for si, tokens := range ds.Samples {
			sum := make([][]float64, L)
			ys := make([][]float32, L)
			for i := range sum {
				sum[i] = make([]float64, E)
			}
			s := m.NewState()
			s.Observer = model.ObserverFunc(func(layer int, p model.Point, rows, cols int, data []float32) {
				switch {
				case p == model.PointX || p == model.PointLMHeadInput:
					for _, v := range data {
						maxX[layer+1] = math.Max(maxX[layer+1], math.Abs(float64(v)))
					}
					if p == model.PointX {
						for r := range rows {
							for c := range cols {
								sum[layer][c] += math.Abs(float64(data[r*cols+c]))
							}
						}
					}
				case p == model.PointY:
					ys[layer] = append(ys[layer], data...)
				}
			})
			if err := m.Forward(s, tokens, nil); err != nil {
				t.Fatal(err)
			}
			for l := range L {
				for c := range E {
					meanX[l][c] = math.Max(meanX[l][c], sum[l][c]/float64(len(tokens)))
				}
				for _, v := range s.SSMState(l) {
					stateMax[l] = math.Max(stateMax[l], math.Abs(float64(v)))
				}
				q := refQuantile(ys[l], 0.99)
				if si == 0 {
					pctY[l] = q
				} else {
					pctY[l] += 0.01 * (q - pctY[l])
				}
			}
		}
		for l := -1; l < L; l++ {
			p := model.PointX
			if l < 0 {
				p = model.PointLMHeadInput
			}
			if got, err := st.AbsMax(l, p); err != nil || float64(got) != maxX[l+1] {
				t.Errorf("%s layer %d %v: max |x| %v (%v), Forward shows %v", dir, l, p, got, err, maxX[l+1])
			}
		}
		for l := range L {
			if got, _ := st.ChannelMeanAbs(l, model.PointX); !slices.Equal(got, meanX[l]) {
				t.Errorf("%s layer %d: channel mean |x| differs from Forward's", dir, l)
			}
			if got, _ := st.StateAbsMax(l); len(got) != 1 || float64(got[0]) != stateMax[l] {
				t.Errorf("%s layer %d: state max %v, Forward leaves %v", dir, l, got, stateMax[l])
			}
			if got, _ := st.Percentile(l, model.PointY); math.Abs(got-pctY[l]) > 1e-12*pctY[l] {
				t.Errorf("%s layer %d: percentile of y %v, by hand %v", dir, l, got, pctY[l])
			}
		}
	}
}
