package quant

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

func TestChooseA8Layers(t *testing.T) {
	sens := []float64{0.03, -0.01, 0.02, 0.002, 0.02}
	for _, tc := range []struct {
		allowed float64
		count   int
		want    []int
	}{
		{0, 0, []int{1, 3}},                        // -0.01 + 0.002 <= 0
		{-0.02, 0, []int{}},                        // nothing fits
		{0.012, 0, []int{1, 2, 3}},                 // ties: the lower layer first
		{0.0321, 0, []int{1, 2, 3, 4}},             // -0.01+0.002+0.02+0.02
		{1, 0, []int{0, 1, 2, 3, 4}},               // everything
		{0, 2, []int{1, 3}},                        // count wins over the budget
		{0, 5, []int{0, 1, 2, 3, 4}},               // all
		{0.0015, 0, []int{1, 3}},                   // sums are of the sorted prefix
		{-0.01, 0, []int{1}},                       // the negative layer alone
		{0.011999, 0, []int{1, 3}},                 // just under the third layer
		{0.012 + 0.02 - 0.0001, 0, []int{1, 2, 3}}, // not quite the fourth
	} {
		got := ChooseA8Layers(sens, tc.allowed, tc.count)
		if !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("allowed %g count %d: %v, want %v", tc.allowed, tc.count, got, tc.want)
		}
	}
}

func TestW4AXOptions(t *testing.T) {
	o, err := DefaultOptions(W4AX)
	if err != nil {
		t.Fatal(err)
	}
	if o.WBits != 4 || o.ABits != 8 || !o.GPTQ || o.A8Budget != DefaultA8Budget || o.A8Layers != nil {
		t.Fatalf("w4ax defaults %+v", o)
	}
	cfg := formats.Config{NLayer: 4, DModel: 128, DInner: 256}
	if !o.LayerA8(3) {
		t.Error("nil A8Layers: every layer is A8")
	}
	o.A8Layers = []int{}
	if o.LayerA8(0) {
		t.Error("empty A8Layers: no layer is A8")
	}
	for _, bad := range [][]int{{4}, {-1}, {2, 1}, {1, 1}} {
		o.A8Layers = bad
		if err := o.Check(cfg); err == nil {
			t.Errorf("A8 layers %v accepted", bad)
		}
	}
	o.A8Layers = []int{0, 2}
	if err := o.Check(cfg); err != nil {
		t.Error(err)
	}
	if !o.LayerA8(2) || o.LayerA8(1) {
		t.Error("LayerA8 does not follow A8Layers")
	}
	w16, _ := DefaultOptions(W4A16)
	w16.A8Layers = []int{0}
	if err := w16.Check(cfg); err == nil {
		t.Error("A8 layers accepted with 16-bit activations")
	}
}

// TestW4AXCompile runs the sensitivity search on the bundled Mamba1 model
// and checks the choice, what the compile quantizes per layer, and the
// artifact round trip of the choice and its record.
func TestW4AXCompile(t *testing.T) {
	w := bundled(t, "mamba1-shakespeare")
	cfg := w.Config
	ds := calibData(t, 16, 128)
	opt, _ := DefaultOptions(W4AX)
	opt.GPTQSamples = 8
	var stages []string
	c, err := Compile(context.Background(), w, ds, opt, CompileOptions{Progress: func(s Stage) {
		if s.Finished {
			stages = append(stages, s.Name)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(stages, "w4ax-sensitivity") {
		t.Errorf("stages %v lack the sensitivity search", stages)
	}
	s := c.Options.W4AX
	if s == nil {
		t.Fatal("no search recorded")
	}
	t.Logf("loss A16 %.5f A8 %.5f sensitivity %v chosen %v predicted %.5f proxy %.5f measured %.5f heuristics %+v",
		s.LossA16, s.LossA8, s.Sensitivity, s.Chosen.Layers, s.Chosen.Predicted, s.Chosen.Proxy, s.Measured, s.Heuristics)
	if len(s.Sensitivity) != cfg.NLayer || s.Samples != 16 || s.Tokens != 16*127 {
		t.Fatalf("search %+v", s)
	}
	if !slices.Equal(c.Options.A8Layers, s.Chosen.Layers) {
		t.Fatalf("compiled A8 layers %v, chosen %v", c.Options.A8Layers, s.Chosen.Layers)
	}
	if s.Chosen.Predicted-s.LossA16 > opt.A8Budget*s.LossA16+1e-12 {
		t.Errorf("predicted %.5f exceeds the budget over %.5f", s.Chosen.Predicted, s.LossA16)
	}
	if want := ChooseA8Layers(s.Sensitivity, opt.A8Budget*s.LossA16, 0); !slices.Equal(want, s.Chosen.Layers) {
		t.Errorf("chosen %v, ChooseA8Layers gives %v", s.Chosen.Layers, want)
	}
	for _, v := range []float64{s.LossA16, s.LossA8, s.Measured, s.Chosen.Proxy} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Fatalf("loss %v", v)
		}
	}
	k := len(s.Chosen.Layers)
	if len(s.Heuristics) != 2 || len(s.Heuristics[0].Layers) != k || len(s.Heuristics[1].Layers) != k {
		t.Errorf("heuristics %+v at count %d", s.Heuristics, k)
	}
	for key := range c.Acts {
		if key.Layer >= 0 && !slices.Contains(s.Chosen.Layers, key.Layer) {
			t.Errorf("activation %v of A16 layer %d has a scale", key.Point, key.Layer)
		}
	}
	if _, ok := c.Acts[ActKey{-1, model.PointLMHeadInput}]; !ok && c.Options.QuantLMHead {
		t.Error("lm_head input is not A8")
	}
	for i := range cfg.NLayer {
		_, q := c.Quantized[formats.LayerPrefix(i)+"mixer.conv1d.weight"]
		if q != slices.Contains(s.Chosen.Layers, i) {
			t.Errorf("layer %d: conv1d quantized %v, A8 %v", i, q, !q)
		}
	}

	path := filepath.Join(t.TempDir(), "w4ax.gguf")
	if err := WriteArtifact(path, c, "m"); err != nil {
		t.Fatal(err)
	}
	back, err := ReadArtifact(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Options, c.Options) {
		t.Errorf("options %+v read back as %+v", c.Options, back.Options)
	}
	// An explicit list compiles without a search, deterministically.
	o2 := opt
	o2.A8Layers = slices.Clone(s.Chosen.Layers)
	c2, err := Compile(context.Background(), w, ds, o2, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Options.W4AX != nil {
		t.Error("explicit A8 layers ran a search")
	}
	c2.Options.W4AX = s
	p2 := filepath.Join(t.TempDir(), "w4ax2.gguf")
	if err := WriteArtifact(p2, c2, "m"); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(path)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Error("the explicit list does not reproduce the searched compile")
	}
}
