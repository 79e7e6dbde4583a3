package quant

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
)

// rewrite copies the GGUF file src into a new file with its metadata and
// tensors passed through edit.
func rewrite(t *testing.T, src string, edit func(kv []formats.GGUFKV, ts []formats.GGUFTensor) ([]formats.GGUFKV, []formats.GGUFTensor)) string {
	t.Helper()
	g, err := formats.OpenGGUF(src)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var kv []formats.GGUFKV
	for _, m := range g.Metadata() {
		if m.Key != formats.GGUFAlignmentKey && m.Key != formats.GGUFChecksumKey && m.Key != formats.GGUFHeaderChecksumKey {
			kv = append(kv, m)
		}
	}
	var ts []formats.GGUFTensor
	for _, info := range g.Tensors() {
		b, err := g.Tensor(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, formats.GGUFTensor{Name: info.Name, Type: info.Type, Shape: info.Shape, Data: append([]byte(nil), b...)})
	}
	kv, ts = edit(kv, ts)
	out := filepath.Join(t.TempDir(), "edited.gguf")
	if err := formats.WriteGGUF(out, kv, ts); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestArtifactErrors(t *testing.T) {
	w := bundled(t, "mamba2-shakespeare")
	opt, _ := DefaultOptions(W4A8)
	c, err := Compile(context.Background(), w, calibData(t, 4, 64), opt, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := WriteArtifact(path, c, "m"); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadArtifact(path); err != nil {
		t.Fatal(err)
	}
	setKV := func(key string, v any) func([]formats.GGUFKV, []formats.GGUFTensor) ([]formats.GGUFKV, []formats.GGUFTensor) {
		return func(kv []formats.GGUFKV, ts []formats.GGUFTensor) ([]formats.GGUFKV, []formats.GGUFTensor) {
			for i := range kv {
				if kv[i].Key == key {
					kv[i].Value = v
				}
			}
			return kv, ts
		}
	}
	dropTensor := func(name string) func([]formats.GGUFKV, []formats.GGUFTensor) ([]formats.GGUFKV, []formats.GGUFTensor) {
		return func(kv []formats.GGUFKV, ts []formats.GGUFTensor) ([]formats.GGUFKV, []formats.GGUFTensor) {
			out := ts[:0]
			for _, x := range ts {
				if x.Name != name {
					out = append(out, x)
				}
			}
			return kv, out
		}
	}
	flipCode := func(kv []formats.GGUFKV, ts []formats.GGUFTensor) ([]formats.GGUFKV, []formats.GGUFTensor) {
		for i := range ts {
			if ts[i].Name == "blk.0.in_proj.z.q" {
				ts[i].Data[0] ^= 0x11 // codes change, scales do not: still a valid file
			}
		}
		return kv, ts
	}
	for _, tc := range []struct {
		name string
		edit func([]formats.GGUFKV, []formats.GGUFTensor) ([]formats.GGUFKV, []formats.GGUFTensor)
		want string
	}{
		{"newer version", setKV("quamba.format_version", uint32(ArtifactVersion+1)), "newer"},
		{"llama.cpp architecture", setKV("general.architecture", "mamba"), "not a quamba artifact"},
		{"unknown scheme", setKV("quamba.scheme", "w2a2"), "unknown scheme"},
		{"bad config", setKV("quamba.config_json", "{"), "quamba.config_json"},
		{"missing panel", dropTensor("blk.1.out_proj.q.gs"), "blk.1.out_proj.q.gs"},
		{"missing activation ends", dropTensor("act.0.x.ends"), "act.0.x.ends"},
		{"missing norm", dropTensor("backbone.norm_f.weight"), "backbone.norm_f.weight"},
	} {
		p := rewrite(t, path, tc.edit)
		_, err := ReadArtifact(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "edited.gguf") {
			t.Errorf("%s: error %v, want one naming the file and %q", tc.name, err, tc.want)
		}
	}
	// Changed codes of a valid file read back as different weights: the
	// reader does not mask them.
	if back, err := ReadArtifact(rewrite(t, path, flipCode)); err != nil {
		t.Errorf("edited codes: %v", err)
	} else if back.Weights.Layers[0].InProj[0] == c.Weights.Layers[0].InProj[0] {
		t.Error("edited codes read back as the original weight")
	}

	// Corruption after writing: one flipped data byte fails the checksum,
	// and is read when the check is skipped; truncation fails.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), raw...)
	bad[len(bad)-100] ^= 0xff
	if _, err := ParseArtifact("flipped.gguf", bad); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("flipped byte: %v, want a checksum error", err)
	}
	if _, err := ParseArtifact("flipped.gguf", raw[:len(raw)/2]); err == nil || !strings.Contains(err.Error(), "flipped.gguf") {
		t.Errorf("truncated file: %v", err)
	}
}
