package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/report"
)

// TestReportRunCheckFrom runs a small report on the bundled Mamba1 model,
// checks it against two limits and renders it again from its JSON.
func TestReportRunCheckFrom(t *testing.T) {
	dir := t.TempDir()
	// The evaluation text comes from the standard input.
	out, log, err := runIO(t, readText(t, "shakespeare-heldout.txt"), "report", "--model", modelPath(t, "mamba1-shakespeare"),
		"--schemes", "fp,w8a8", "--samples", "8", "--seqlen", "128",
		"--calib", filepath.Join("..", "..", "testdata", "shakespeare-calib.txt"), "--eval", "-", "--out", dir, "-q")
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, log)
	}
	for _, f := range []string{"report.md", "report.json", "report.html", "mamba1-shakespeare-w8a8.gguf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	js := filepath.Join(dir, "report.json")
	if out, err := run(t, "report", "--check", js, "--max-ppl-drop", "5%"); err != nil || !strings.Contains(out, "within +5%") {
		t.Errorf("check at 5%%: %v\n%s", err, out)
	}
	r, err := report.Load(js)
	if err != nil {
		t.Fatal(err)
	}
	if e := r.Eval[0]; e.Path != "-" || e.Name != "stdin" {
		t.Errorf("report.json names the standard input %q (set %q), want - (stdin)", e.Path, e.Name)
	}
	if ch := r.Scheme("w8a8").Perplexity[0].ChangePct; ch > 0 {
		if out, err := run(t, "report", "--check", js, "--max-ppl-drop", "0%"); err == nil || !strings.Contains(out, "w8a8 on stdin") {
			t.Errorf("check below the measured change (%+.3f%%) passed: %v\n%s", ch, err, out)
		}
	}
	again := filepath.Join(dir, "again")
	if out, err := run(t, "report", "--from", js, "--out", again); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	b, err := os.ReadFile(filepath.Join(again, "report.md"))
	if err != nil || string(a) != string(b) {
		t.Errorf("report.md rendered from report.json differs (%v)", err)
	}
}

// The calibration text of a report read from the standard input is named
// "-" in the report and in the artifacts it writes, not by its temporary
// copy.
func TestReportCalibFromStdin(t *testing.T) {
	dir := t.TempDir()
	calibText, err := os.ReadFile(filepath.Join("..", "..", "testdata", "shakespeare-calib.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out, log, err := runIO(t, string(calibText), "report", "--model", modelPath(t, "mamba1-shakespeare"),
		"--schemes", "fp,w8a8", "--samples", "8", "--seqlen", "128", "--calib", "-",
		"--eval", filepath.Join("..", "..", "testdata", "shakespeare-heldout.txt"), "--out", dir, "-q")
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, log)
	}
	r, err := report.Load(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Calib == nil || len(r.Calib.Files) != 1 || r.Calib.Files[0] != "-" {
		t.Errorf("report.json names the calibration files %+v, want [-]", r.Calib)
	}
	g, err := formats.OpenGGUF(filepath.Join(dir, "mamba1-shakespeare-w8a8.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	files, err := g.Strings("quamba.calib.files")
	if err != nil || len(files) != 1 || files[0] != "-" {
		t.Errorf("the artifact names its calibration files %q (%v), want [-]", files, err)
	}
}
