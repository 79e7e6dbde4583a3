package formats

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var inf = math.Inf(1)

// Expected configurations: sizes from quamba.md §1.2 (and the published
// config.json files the fixtures copy).
var configCases = []struct {
	file string
	want Config
}{
	{"state-spaces-mamba-130m.json", Config{
		Arch: Mamba1, Convention: StateSpaces, DModel: 768, NLayer: 24, VocabSize: 50277, PaddedVocab: 50280,
		PadVocabSizeMultiple: 8, DState: 16, DConv: 4, Expand: 2, DInner: 1536, DtRank: 48,
		DtLimitMax: inf, ConvBias: true, RMSNorm: true, ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5,
	}},
	{"state-spaces-mamba2-130m.json", Config{
		Arch: Mamba2, Convention: StateSpaces, DModel: 768, NLayer: 24, VocabSize: 50277, PaddedVocab: 50288,
		PadVocabSizeMultiple: 16, DState: 128, DConv: 4, Expand: 2, DInner: 1536, HeadDim: 64, NHeads: 24,
		NGroups: 1, DtLimitMax: inf, ChunkSize: 256, ConvBias: true, RMSNorm: true, ResidualInFP32: true,
		TieEmbeddings: true, NormEps: 1e-5,
	}},
	{"state-spaces-mamba2-8b.json", Config{
		Arch: Mamba2, Convention: StateSpaces, DModel: 4096, NLayer: 56, VocabSize: 256000, PaddedVocab: 256000,
		PadVocabSizeMultiple: 128, DState: 128, DConv: 4, Expand: 2, DInner: 8192, HeadDim: 64, NHeads: 128,
		NGroups: 8, DtLimitMax: inf, ChunkSize: 128, ConvBias: true, RMSNorm: true, ResidualInFP32: true,
		TieEmbeddings: false, NormEps: 1e-5,
	}},
	{"hf-mamba-130m.json", Config{
		Arch: Mamba1, Convention: HuggingFace, DModel: 768, NLayer: 24, VocabSize: 50280, PaddedVocab: 50280,
		PadVocabSizeMultiple: 8, DState: 16, DConv: 4, Expand: 2, DInner: 1536, DtRank: 48,
		DtLimitMax: inf, ConvBias: true, RMSNorm: true, ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5,
	}},
	{"hf-mamba2-130m.json", Config{
		Arch: Mamba2, Convention: HuggingFace, DModel: 768, NLayer: 24, VocabSize: 50288, PaddedVocab: 50288,
		PadVocabSizeMultiple: 1, DState: 128, DConv: 4, Expand: 2, DInner: 1536, HeadDim: 64, NHeads: 24,
		NGroups: 1, DtLimitMax: inf, ChunkSize: 256, ConvBias: true, RMSNorm: true, ResidualInFP32: true,
		TieEmbeddings: true, NormEps: 1e-5,
	}},
	{"hf-mamba-codestral-7b.json", Config{
		Arch: Mamba2, Convention: HuggingFace, DModel: 4096, NLayer: 64, VocabSize: 32768, PaddedVocab: 32768,
		PadVocabSizeMultiple: 1, DState: 128, DConv: 4, Expand: 2, DInner: 8192, HeadDim: 64, NHeads: 128,
		NGroups: 8, DtLimitMax: inf, ChunkSize: 256, ConvBias: true, RMSNorm: true, ResidualInFP32: true,
		TieEmbeddings: false, NormEps: 1e-5,
	}},
}

func TestReadConfigFixtures(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ReadConfig(filepath.Join("testdata", "configs", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestWriteConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range configCases {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join(dir, tc.file)
			if err := WriteConfig(p, tc.want); err != nil {
				t.Fatal(err)
			}
			got, err := ReadConfig(p)
			if err != nil {
				b, _ := os.ReadFile(p)
				t.Fatalf("%v\n%s", err, b)
			}
			want := tc.want
			if want.Convention == HuggingFace {
				// The written pad multiple is informational for HF configs.
				got.PadVocabSizeMultiple = want.PadVocabSizeMultiple
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestWriteConfigInfinityToken(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.json")
	if err := WriteConfig(p, configCases[4].want); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "Infinity") || strings.Contains(string(b), `"Infinity"`) {
		t.Fatalf("time_step_limit max should be the bare Infinity token:\n%s", b)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"d_model": 768, "n_layer": 24, "d_intermediate": 3072}`, "d_intermediate=3072"},
		{`{"d_model": 768, "n_layer": 24, "attn_layer_idx": [3, 9]}`, "hybrid attention"},
		{`{"d_model": 768, "n_layer": 24, "ssm_cfg": {"layer": "W4A8QMamba2"}}`, `unsupported ssm_cfg.layer "W4A8QMamba2"`},
		{`{"model_type": "llama", "hidden_size": 8}`, `unsupported model_type "llama"`},
		{`{"vocab_size": 10}`, "not a Mamba config"},
		{`{"d_model": 768, "n_layer": 24, "ssm_cfg": {"layer": "Mamba2", "headdim": 100}}`, "not divisible by headdim"},
		{`{"d_model": 768, "n_layer": 24, "ssm_cfg": {"layer": "Mamba2", "ngroups": 5}}`, "not divisible by ngroups"},
		{`{"d_model": 768, "n_layer": 24, "ssm_cfg": {"layer": "Mamba2", "norm_before_gate": true}}`, "norm_before_gate"},
		{`{"d_model": 768, "n_layer": 24, "ssm_cfg": {"layer": "Mamba2", "D_has_hdim": true}}`, "D_has_hdim"},
		{`{"d_model": 768, "n_layer": 24, "ssm_cfg": {"layer": "Mamba2", "rmsnorm": false}}`, "rmsnorm=false"},
		{`{"d_model": 768, "n_layer": 24, "ssm_cfg": {"headdim": 64}}`, "Mamba2 option"},
		{`{"d_model": -8, "n_layer": 24}`, "d_model=-8 must be positive"},
		{`{"d_model": 768, "n_layer": 0}`, "n_layer=0 must be positive"},
		{`{"d_model": 768, "n_layer": 2, "rms_norm": false}`, "LayerNorm"},
		{`{"d_model": 768, "n_layer": 2, "ssm_cfg": {"dt_rank": "big"}}`, `"auto"`},
		{`{"d_model": 768, "n_layer": 2, "ssm_cfg": {"layer": "Mamba2", "dt_limit": [0.1, 0.01]}}`, "dt_limit"},
		{`{"d_model": 1e30, "n_layer": 2}`, "d_model"},
		{`{"d_model": 16777216, "n_layer": 2, "ssm_cfg": {"expand": 16777216}}`, "out of range"},
		{`{"model_type": "mamba2", "hidden_size": 768, "num_heads": 7}`, "num_heads=7"},
		{`{"model_type": "mamba", "hidden_size": 768, "intermediate_size": 100}`, "intermediate_size=100"},
		{`{"model_type": "mamba", "hidden_act": "gelu"}`, "hidden_act"},
		{`{"d_model": 768,`, "invalid JSON"},
		{`[1, 2]`, "invalid JSON"},
		{`null`, "not a JSON object"},
	}
	for _, tc := range cases {
		_, err := ParseConfig([]byte(tc.json), "dir/config.json")
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.json, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "dir/config.json") {
			t.Errorf("%s: error %q, want it to name the file and contain %q", tc.json, err, tc.want)
		}
	}
}

func TestSanitizePythonJSON(t *testing.T) {
	in := `{"a": [0.0, Infinity, -Infinity, NaN], "s": "Infinity NaN \"x\" Infinity"}`
	out, err := sanitizePythonJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a": [0.0, "Infinity", "-Infinity", "NaN"], "s": "Infinity NaN \"x\" Infinity"}`
	if string(out) != want {
		t.Fatalf("got %s\nwant %s", out, want)
	}
}

func TestParamCount(t *testing.T) {
	// mamba-130m: the published parameter count is 129,135,360 with the
	// padded 50280-row embedding counted once.
	cfg := configCases[0].want
	if got := cfg.ParamCount(); got != 129135360 {
		t.Errorf("mamba-130m parameters: got %d", got)
	}
}
