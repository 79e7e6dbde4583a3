package quant

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteOnlyArtifact compiles the bundled models with and without
// CompileOptions.WriteOnly (and InPlace) and requires byte-identical
// artifacts, and a WriteOnly result without the float32 values of its
// quantized tensors.
func TestWriteOnlyArtifact(t *testing.T) {
	ds := calibData(t, 8, 128)
	cases := []struct {
		model  string
		scheme Scheme
	}{{"mamba1-shakespeare", W8A8}, {"mamba2-shakespeare", W8A8}, {"mamba1-shakespeare", W4A8},
		{"mamba2-shakespeare", W4A16}, {"mamba1-shakespeare", Quamba}, {"mamba2-shakespeare", NaiveW8A8}}
	for _, tc := range cases {
		w := bundled(t, tc.model)
		opt, _ := DefaultOptions(tc.scheme)
		write := func(co CompileOptions) (*Compiled, []byte) {
			t.Helper()
			co.SourceDigest = "test"
			c, err := Compile(context.Background(), w.Clone(), ds, opt, co)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.model, tc.scheme, err)
			}
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := WriteArtifact(path, c, tc.model); err != nil {
				t.Fatalf("%s %s: %v", tc.model, tc.scheme, err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return c, b
		}
		_, ref := write(CompileOptions{})
		c, got := write(CompileOptions{InPlace: true, WriteOnly: true})
		if !bytes.Equal(ref, got) {
			t.Errorf("%s %s: the WriteOnly artifact differs from the one of a full compile (%d and %d bytes)", tc.model, tc.scheme, len(got), len(ref))
		}
		if len(c.Quantized) == 0 {
			t.Fatalf("%s %s: nothing quantized", tc.model, tc.scheme)
		}
		for name := range c.Quantized {
			_, err := c.Weights.Tensor(name)
			if err == nil {
				t.Errorf("%s %s: tensor %s kept its float32 values", tc.model, tc.scheme, name)
			}
		}
		if _, err := c.Simulate(); err == nil {
			t.Errorf("%s %s: a WriteOnly result simulates", tc.model, tc.scheme)
		}
	}
}
