package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/tokenizer"
)

func TestParseDrop(t *testing.T) {
	for in, want := range map[string]float64{"1%": 1, "0.5 %": 0.5, "2": 2, " 0% ": 0} {
		got, err := ParseDrop(in)
		if err != nil || got != want {
			t.Errorf("ParseDrop(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x%", "-1%", "NaN"} {
		if _, err := ParseDrop(bad); err == nil {
			t.Errorf("ParseDrop(%q) accepted", bad)
		}
	}
}

// TestRunRenderCheck measures two schemes of the bundled Mamba2 model
// (small calibration and LAMBADA sets), then checks the JSON round trip,
// the renderings and the perplexity check.
func TestRunRenderCheck(t *testing.T) {
	dir := t.TempDir()
	lam := filepath.Join(dir, "lambada.jsonl")
	if err := os.WriteFile(lam, []byte(`{"text": "ROMEO: I will go to the king"}`+"\n"+`{"text": "First Citizen: Before we proceed any further, hear me speak"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Model: filepath.Join("..", "testdata", "mamba2-shakespeare"), Tokenizer: tokenizer.Bytes(),
		Schemes: []quant.Scheme{quant.W8A8, quant.W4AX}, ArtifactDir: dir, A8Count: 2,
		Calib: []string{filepath.Join("..", "testdata", "shakespeare-calib.txt")}, Samples: 8, SeqLen: 128,
		Eval: []string{filepath.Join("..", "testdata", "shakespeare-heldout.txt")}, Lambada: lam, Command: "quamba report (test)"}
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Schemes) != 3 || r.Schemes[0].Name != FP || r.Scheme("w8a8") == nil || r.Scheme("w4ax") == nil {
		t.Fatalf("schemes %+v", r.Schemes)
	}
	for _, s := range r.Schemes {
		if len(s.Perplexity) != 1 || !(s.Perplexity[0].PPL > 1) || !(s.PrefillTPS > 0) || !(s.DecodeTPS > 0) || s.Lambada == nil || s.Lambada.Total != 2 {
			t.Errorf("%s: %+v", s.Name, s)
		}
		if s.Name != FP && (s.SQNR == nil || s.Bytes == 0 || s.Verdict == "") {
			t.Errorf("%s: no SQNR, size or verdict", s.Name)
		}
	}
	w8 := r.Scheme("w8a8")
	if p := w8.Perplexity[0]; p.ChangePct > 1 || p.ChangePct < -1 {
		t.Errorf("w8a8 perplexity change %+.2f%%", p.ChangePct)
	}
	for i, row := range w8.SQNR.DB {
		for j, v := range row {
			if w8.SQNR.Layers[i] >= 0 && (v == nil || *v < 10 || *v > 80) && w8.SQNR.Points[j] != "lm_head_input" {
				t.Errorf("w8a8 SQNR layer %d %s: %v", w8.SQNR.Layers[i], w8.SQNR.Points[j], v)
			}
		}
	}
	ax := r.Scheme("w4ax")
	if ax.W4AX == nil || len(ax.A8Layers) != 2 {
		t.Fatalf("w4ax: A8 layers %v, search %+v", ax.A8Layers, ax.W4AX)
	}
	for i, l := range ax.SQNR.Layers {
		a8 := l < 0 || l == ax.A8Layers[0] || l == ax.A8Layers[1]
		for _, v := range ax.SQNR.DB[i] {
			if (v != nil) != a8 && v != nil {
				t.Errorf("w4ax: A16 layer %d has an SQNR", l)
			}
		}
	}
	if r.Hadamard == nil || len(r.Hadamard.Before) != r.Model.DInner {
		t.Errorf("hadamard figure %+v", r.Hadamard)
	}

	path := filepath.Join(dir, "report.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var md, md2, page bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := back.WriteMarkdown(&md2); err != nil {
		t.Fatal(err)
	}
	if md.String() != md2.String() {
		t.Error("the markdown of the reloaded report differs")
	}
	for _, want := range []string{"| `w8a8` |", "## W4AX", "## Activation SQNR", "quamba report (test)", "LAMBADA"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if err := back.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	if n := strings.Count(h, "<svg"); n != 5 { // ppl, 2 SQNR maps, Hadamard, W4AX
		t.Errorf("report.html has %d figures, want 5", n)
	}
	if strings.Contains(h, "<?xml") || strings.Contains(h, "<script") || strings.Contains(h, "http://") && !strings.Contains(h, "http://www.w3.org/") {
		t.Error("report.html is not a self-contained page")
	}

	if v := back.Check(100); len(v) != 0 {
		t.Errorf("check at 100%%: %v", v)
	}
	if v := back.Check(-1); len(v) != 2 {
		t.Errorf("check at -1%%: %v, want both schemes", v)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema": "quamba-report/2"}`), 0o644)
	if _, err := Load(bad); err == nil {
		t.Error("a report of another major schema version loaded")
	}
}

func TestLambadaTargets(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "l.jsonl")
	os.WriteFile(p, []byte(`{"text": "a b\n\nc dog"}`+"\n\n"+`{"text": "x yz "}`+"\n"), 0o644)
	exs, err := loadLambada(p, tokenizer.Bytes(), true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 2 || string(bytesOf(exs[0].target)) != "dog" || string(bytesOf(exs[0].context)) != "a b\n\nc " ||
		string(bytesOf(exs[1].target)) != "yz" {
		t.Fatalf("examples %v", exs)
	}
	if exs, err = loadLambada(p, tokenizer.Bytes(), true, 1); err != nil || len(exs) != 1 {
		t.Fatalf("limit: %v %v", exs, err)
	}
}

func bytesOf(ids []int) []byte {
	b := make([]byte, len(ids))
	for i, v := range ids {
		b[i] = byte(v)
	}
	return b
}
