package formats

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzGGUF feeds arbitrary bytes as a GGUF file: parsing never panics, and
// whatever parses has readable tensors and re-serialises (metadata and
// tensors) into a file that parses back to the same content, and whose own
// re-serialisation is byte-identical.
func FuzzGGUF(f *testing.F) {
	f.Add(smallGGUF(f))
	for _, seed := range []struct {
		md      []GGUFKV
		tensors []GGUFTensor
	}{
		{nil, nil},
		{allValues(), nil},
		{[]GGUFKV{{"a", GGUFArrays{GGUFArrays{[]string{"x", ""}}, []bool{true}}}}, []GGUFTensor{
			{Name: "q", Type: GGMLType(8), Shape: []int{1, 32}, Data: make([]byte, 34)},
			{Name: "h", Type: GGMLF16, Shape: []int{1, 1, 1, 3}, Data: []byte{1, 2, 3, 4, 5, 6}},
		}},
	} {
		b, err := encodeGGUF(seed.md, seed.tensors)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Third-party style: alignment 32, no checksum key.
	f.Add(newRaw(3, 2, 2).kvU32(GGUFAlignmentKey, 32).str("s").u32(8).str("v").
		tensor("a", []uint64{2, 2}, uint32(GGMLI32), 0).tensor("b", []uint64{3}, uint32(GGMLI8), 32).
		padTo(32).zeros(35).b)

	f.Fuzz(func(t *testing.T, data []byte) {
		// The checksums turn away almost every mutation of a written file:
		// skip them so that mutations reach the other checks, and check
		// that a file that verifies also parses without them.
		_, verr := ParseGGUF("fuzz.gguf", data)
		g, err := ParseGGUF("fuzz.gguf", data, GGUFOptions{SkipChecksum: true})
		if verr == nil && err != nil {
			t.Fatalf("verifies but does not parse without the checksums: %v", err)
		}
		if err != nil {
			return
		}
		infos := g.Tensors()
		var ts []GGUFTensor
		for _, info := range infos {
			b, err := g.Tensor(info.Name)
			if err != nil || int64(len(b)) != info.Size || info.Offset%int64(g.Alignment()) != 0 {
				t.Fatalf("tensor %+v: %d bytes, err %v", info, len(b), err)
			}
			ts = append(ts, GGUFTensor{Name: info.Name, Type: info.Type, Shape: info.Shape, Data: b})
		}
		var md []GGUFKV
		for _, kv := range withoutReserved(g.Metadata()) {
			if !ggufHasNaN(kv.Value) { // NaN is refused by the writer
				md = append(md, kv)
			}
		}
		out, err := encodeGGUF(md, ts)
		if err != nil {
			t.Fatalf("accepted file does not re-serialise: %v", err)
		}
		g2, err := ParseGGUF("re.gguf", out)
		if err != nil {
			t.Fatalf("re-serialised file does not parse: %v", err)
		}
		md2 := withoutReserved(g2.Metadata())
		if !reflect.DeepEqual(md2, md) {
			t.Fatalf("metadata round trip:\n got %#v\nwant %#v", md2, md)
		}
		infos2 := g2.Tensors()
		if len(infos2) != len(ts) {
			t.Fatalf("%d tensors after the round trip, want %d", len(infos2), len(ts))
		}
		var ts2 []GGUFTensor
		for i, info := range infos2 {
			b, _ := g2.Tensor(info.Name)
			if info.Name != ts[i].Name || info.Type != ts[i].Type || !reflect.DeepEqual(info.Shape, ts[i].Shape) || !bytes.Equal(b, ts[i].Data) {
				t.Fatalf("tensor %d: %+v differs from %s %s %v after the round trip", i, info, ts[i].Name, ts[i].Type, ts[i].Shape)
			}
			ts2 = append(ts2, GGUFTensor{Name: info.Name, Type: info.Type, Shape: info.Shape, Data: b})
		}
		again, err := encodeGGUF(md2, ts2)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second re-serialisation differs (err %v)", err)
		}
	})
}
