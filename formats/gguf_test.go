package formats

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// encodeGGUF builds a GGUF image in memory the way WriteGGUF does.
func encodeGGUF(md []GGUFKV, tensors []GGUFTensor) ([]byte, error) {
	p, err := planGGUF(md, tensors)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	sum, err := p.writeTo(&buf)
	if err != nil {
		return nil, err
	}
	b := buf.Bytes()
	binary.LittleEndian.PutUint64(b[p.sumOffset:], sum)
	binary.LittleEndian.PutUint64(b[p.headerSumOffset:], p.headerSum(sum))
	return b, nil
}

// rawGGUF assembles GGUF bytes field by field, independently of the writer.
type rawGGUF struct{ b []byte }

func newRaw(version uint32, nTensors, nKV uint64) *rawGGUF {
	r := &rawGGUF{b: []byte("GGUF")}
	return r.u32(version).u64(nTensors).u64(nKV)
}

func (r *rawGGUF) u8(v byte) *rawGGUF { r.b = append(r.b, v); return r }
func (r *rawGGUF) u32(v uint32) *rawGGUF {
	r.b = binary.LittleEndian.AppendUint32(r.b, v)
	return r
}
func (r *rawGGUF) u64(v uint64) *rawGGUF {
	r.b = binary.LittleEndian.AppendUint64(r.b, v)
	return r
}
func (r *rawGGUF) str(s string) *rawGGUF { r.u64(uint64(len(s))); r.b = append(r.b, s...); return r }
func (r *rawGGUF) kvU32(k string, v uint32) *rawGGUF {
	return r.str(k).u32(4).u32(v)
}
func (r *rawGGUF) tensor(name string, ne []uint64, typ uint32, off uint64) *rawGGUF {
	r.str(name).u32(uint32(len(ne)))
	for _, d := range ne {
		r.u64(d)
	}
	return r.u32(typ).u64(off)
}
func (r *rawGGUF) padTo(a int) *rawGGUF {
	for len(r.b)%a != 0 {
		r.b = append(r.b, 0)
	}
	return r
}
func (r *rawGGUF) zeros(n int) *rawGGUF { r.b = append(r.b, make([]byte, n)...); return r }

func wantGGUFErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

// allValues holds one metadata pair of every type, arrays included.
func allValues() []GGUFKV {
	return []GGUFKV{
		{"general.architecture", "mamba2"},
		{"t.u8", uint8(250)},
		{"t.i8", int8(-128)},
		{"t.u16", uint16(65535)},
		{"t.i16", int16(-32768)},
		{"t.u32", uint32(4000000000)},
		{"t.i32", int32(-2000000000)},
		{"t.f32", float32(-1.5e-7)},
		{"t.negzero", float32(math.Copysign(0, -1))},
		{"t.inf", math.Inf(-1)},
		{"t.true", true},
		{"t.false", false},
		{"t.str", "héllo, ünïcode ✓"},
		{"t.empty_str", ""},
		{"t.u64", uint64(math.MaxUint64)},
		{"t.i64", int64(math.MinInt64)},
		{"t.f64", math.Pi},
		{"a.u8", []uint8{0, 1, 255}},
		{"a.i8", []int8{-1, 127}},
		{"a.u16", []uint16{1, 65535}},
		{"a.i16", []int16{-2, 300}},
		{"a.u32", []uint32{7, 1 << 31}},
		{"a.i32", []int32{-5, 6, 7}},
		{"a.f32", []float32{0.5, float32(math.Inf(1))}},
		{"a.bool", []bool{true, false, true}},
		{"a.str", []string{"a", "", "ccc"}},
		{"a.u64", []uint64{1 << 63}},
		{"a.i64", []int64{-1 << 40}},
		{"a.f64", []float64{1e300, -2}},
		{"a.empty", []int32{}},
		{"a.nested", GGUFArrays{[]int32{1, 2}, []string{"x"}, GGUFArrays{[]float64{3}, GGUFArrays{}}, []uint8{}}},
		{"a.empty_nested", GGUFArrays{}},
	}
}

// sampleGGUFTensors holds one tensor of each plain type plus a streamed
// one and a block-quantized one, with seeded random bytes.
func sampleGGUFTensors() []GGUFTensor {
	rng := rand.New(rand.NewSource(1))
	mk := func(name string, typ GGMLType, elemBytes int, shape ...int) GGUFTensor {
		n := elemBytes
		for _, d := range shape {
			n *= d
		}
		b := make([]byte, n)
		rng.Read(b)
		return GGUFTensor{Name: name, Type: typ, Shape: shape, Data: b}
	}
	ts := []GGUFTensor{
		mk("f32", GGMLF32, 4, 3, 5),
		mk("f16", GGMLF16, 2, 7),
		mk("bf16", GGMLBF16, 2, 2, 1, 3),
		mk("i8", GGMLI8, 1, 2, 3, 5, 1),
		mk("i16", GGMLI16, 2, 9),
		mk("i32", GGMLI32, 4, 4, 4),
		mk("i64", GGMLI64, 8, 3),
		mk("f64", GGMLF64, 8, 1, 2),
		mk("q8_0", GGMLType(8), 34, 2, 1), // 2 rows of one 32-element block
	}
	ts[8].Shape = []int{2, 32}
	streamed := mk("streamed", GGMLF32, 4, 10, 10)
	data := streamed.Data
	streamed.Data = nil
	streamed.Write = func(w io.Writer) error {
		for i := 0; i < len(data); i += 7 { // odd chunk sizes
			if _, err := w.Write(data[i:min(i+7, len(data))]); err != nil {
				return err
			}
		}
		return nil
	}
	streamed.Name = "blk.0.streamed"
	return append(ts, streamed)
}

// tensorBytes is the bytes a GGUFTensor provides.
func tensorBytes(t *testing.T, g GGUFTensor) []byte {
	if g.Data != nil {
		return g.Data
	}
	var buf bytes.Buffer
	if err := g.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func withoutReserved(kvs []GGUFKV) []GGUFKV {
	var out []GGUFKV
	for _, kv := range kvs {
		if kv.Key != GGUFAlignmentKey && kv.Key != GGUFChecksumKey && kv.Key != GGUFHeaderChecksumKey {
			out = append(out, kv)
		}
	}
	return out
}

func TestGGUFRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "all.gguf")
	md, tensors := allValues(), sampleGGUFTensors()
	if err := WriteGGUF(path, md, tensors); err != nil {
		t.Fatal(err)
	}
	g, err := OpenGGUF(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Version() != 3 || g.Alignment() != 64 || g.DataOffset()%64 != 0 {
		t.Fatalf("version %d alignment %d data offset %d", g.Version(), g.Alignment(), g.DataOffset())
	}
	got := g.Metadata()
	if n := len(got); n != len(md)+3 || got[n-3].Key != GGUFAlignmentKey || got[n-2].Key != GGUFChecksumKey || got[n-1].Key != GGUFHeaderChecksumKey {
		t.Fatalf("metadata ends %v, want the user keys then %s, %s, %s", got[max(0, n-3):], GGUFAlignmentKey, GGUFChecksumKey, GGUFHeaderChecksumKey)
	}
	if !g.Verified() || !g.Sealed() {
		t.Fatalf("Verified %v, Sealed %v, want both", g.Verified(), g.Sealed())
	}
	if !reflect.DeepEqual(withoutReserved(got), md) {
		t.Fatalf("metadata round trip:\n got %#v\nwant %#v", withoutReserved(got), md)
	}
	if v, _ := g.Float32("t.negzero"); math.Float32bits(v) != 0x80000000 {
		t.Fatalf("negative zero read back as bits %08x", math.Float32bits(v))
	}

	// Typed getters and their errors.
	if s, err := g.String("general.architecture"); err != nil || s != "mamba2" {
		t.Fatalf("String: %q %v", s, err)
	}
	if v, err := g.Uint64("t.u64"); err != nil || v != math.MaxUint64 {
		t.Fatalf("Uint64: %d %v", v, err)
	}
	if v, err := g.Int64("t.i64"); err != nil || v != math.MinInt64 {
		t.Fatalf("Int64: %d %v", v, err)
	}
	if v, err := g.Bool("t.true"); err != nil || !v {
		t.Fatalf("Bool: %v %v", v, err)
	}
	if v, err := g.Strings("a.str"); err != nil || !reflect.DeepEqual(v, []string{"a", "", "ccc"}) {
		t.Fatalf("Strings: %q %v", v, err)
	}
	if v, err := g.Int32s("a.i32"); err != nil || !reflect.DeepEqual(v, []int32{-5, 6, 7}) {
		t.Fatalf("Int32s: %v %v", v, err)
	}
	v, _ := g.Int32s("a.i32")
	v[0] = 99
	if again, _ := g.Int32s("a.i32"); again[0] != -5 {
		t.Fatal("Int32s returned the file's own slice")
	}
	_, err = g.Uint32("general.architecture")
	wantGGUFErr(t, err, path, `"general.architecture"`, "is STRING, not UINT32")
	_, err = g.Float32s("a.f64")
	wantGGUFErr(t, err, "is ARRAY of FLOAT64, not ARRAY of FLOAT32")
	_, err = g.String("no.such.key")
	wantGGUFErr(t, err, path, `"no.such.key" not found`)

	// Tensors: file order, row-major shapes, sizes counted here, 64-byte
	// aligned offsets, bytes as written.
	infos := g.Tensors()
	if len(infos) != len(tensors) {
		t.Fatalf("%d tensors, want %d", len(infos), len(tensors))
	}
	elemBytes := map[GGMLType]int{GGMLF32: 4, GGMLF16: 2, GGMLBF16: 2, GGMLI8: 1, GGMLI16: 2, GGMLI32: 4, GGMLI64: 8, GGMLF64: 8}
	for i, want := range tensors {
		info := infos[i]
		if info.Name != want.Name || info.Type != want.Type || !reflect.DeepEqual(info.Shape, want.Shape) {
			t.Fatalf("tensor %d: %+v, want %s %s %v", i, info, want.Name, want.Type, want.Shape)
		}
		size := int64(34 * 2) // the q8_0 tensor: 2 blocks
		if eb, ok := elemBytes[want.Type]; ok {
			size = int64(eb)
			for _, d := range want.Shape {
				size *= int64(d)
			}
		}
		if info.Size != size {
			t.Fatalf("tensor %q: size %d, want %d", info.Name, info.Size, size)
		}
		if info.Offset%64 != 0 || (g.DataOffset()+info.Offset)%64 != 0 {
			t.Fatalf("tensor %q: offset %d (file %d) not 64-byte aligned", info.Name, info.Offset, g.DataOffset()+info.Offset)
		}
		b, err := g.Tensor(info.Name)
		if err != nil || !bytes.Equal(b, tensorBytes(t, want)) {
			t.Fatalf("tensor %q: bytes differ (err %v)", info.Name, err)
		}
	}

	// Typed views decode the same values as the bytes read by hand.
	f32, err := g.TensorF32("f32")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range f32 {
		if math.Float32bits(v) != binary.LittleEndian.Uint32(tensors[0].Data[4*i:]) {
			t.Fatalf("f32[%d] = %v differs from the bytes", i, v)
		}
	}
	i8, err := g.TensorI8("i8")
	if err != nil || len(i8) != 30 || i8[7] != int8(tensors[3].Data[7]) {
		t.Fatalf("TensorI8: %v %v", i8, err)
	}
	i32, err := g.TensorI32("i32")
	if err != nil || len(i32) != 16 || i32[5] != int32(binary.LittleEndian.Uint32(tensors[5].Data[20:])) {
		t.Fatalf("TensorI32: %v %v", i32, err)
	}
	f16, err := g.TensorF16("f16")
	if err != nil || len(f16) != 7 || f16[6] != binary.LittleEndian.Uint16(tensors[1].Data[12:]) {
		t.Fatalf("TensorF16: %v %v", f16, err)
	}
	i64, err := g.TensorI64("i64")
	if err != nil || i64[2] != int64(binary.LittleEndian.Uint64(tensors[6].Data[16:])) {
		t.Fatalf("TensorI64: %v %v", i64, err)
	}
	f64, err := g.TensorF64("f64")
	if err != nil || math.Float64bits(f64[1]) != binary.LittleEndian.Uint64(tensors[7].Data[8:]) {
		t.Fatalf("TensorF64: %v %v", f64, err)
	}
	if _, err := g.TensorBF16("bf16"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.TensorI16("i16"); err != nil {
		t.Fatal(err)
	}
	_, err = g.TensorF32("i8")
	wantGGUFErr(t, err, path, `tensor "i8" is I8, not F32`)
	_, err = g.TensorF32("q8_0")
	wantGGUFErr(t, err, `"q8_0" is Q8_0, not F32`)
	_, err = g.Tensor("missing")
	wantGGUFErr(t, err, `tensor "missing" not found`)

	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = g.Tensor("f32")
	wantGGUFErr(t, err, "file is closed")
	_, err = g.TensorF32("f32")
	wantGGUFErr(t, err, "file is closed")
}

func TestGGUFDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gguf"), filepath.Join(dir, "b.gguf")
	if err := WriteGGUF(a, allValues(), sampleGGUFTensors()); err != nil {
		t.Fatal(err)
	}
	// The same content given in memory instead of streamed.
	ts := sampleGGUFTensors()
	for i := range ts {
		ts[i].Data, ts[i].Write = tensorBytes(t, ts[i]), nil
	}
	if err := WriteGGUF(b, allValues(), ts); err != nil {
		t.Fatal(err)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	mem, err := encodeGGUF(allValues(), ts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba, bb) || !bytes.Equal(ba, mem) {
		t.Fatalf("same input, different bytes (%d, %d, %d bytes)", len(ba), len(bb), len(mem))
	}
	if len(ba)%64 != 0 {
		t.Fatalf("file length %d is not a multiple of 64", len(ba))
	}
}

// TestGGUFLayoutByHand checks a small file's bytes at offsets computed here
// from the GGUF v3 layout.
func TestGGUFLayoutByHand(t *testing.T) {
	vals := []float32{1, 2, 3, 4, 5, 6} // [2, 3]
	data := make([]byte, 0, 24)
	for _, v := range vals {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
	}
	b, err := encodeGGUF([]GGUFKV{{"a.b", uint32(7)}}, []GGUFTensor{{Name: "t", Type: GGMLF32, Shape: []int{2, 3}, Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if string(b[0:4]) != "GGUF" || le.Uint32(b[0:]) != 0x46554747 {
		t.Fatalf("magic % x", b[0:4])
	}
	if le.Uint32(b[4:]) != 3 || le.Uint64(b[8:]) != 1 || le.Uint64(b[16:]) != 4 {
		t.Fatalf("version %d tensors %d kvs %d", le.Uint32(b[4:]), le.Uint64(b[8:]), le.Uint64(b[16:]))
	}
	// kv 0: "a.b" UINT32 7, bytes 24..43.
	if le.Uint64(b[24:]) != 3 || string(b[32:35]) != "a.b" || le.Uint32(b[35:]) != 4 || le.Uint32(b[39:]) != 7 {
		t.Fatalf("first kv % x", b[24:43])
	}
	// kv 1: general.alignment (17 bytes) UINT32 64, bytes 43..76.
	if le.Uint64(b[43:]) != 17 || string(b[51:68]) != "general.alignment" || le.Uint32(b[68:]) != 4 || le.Uint32(b[72:]) != 64 {
		t.Fatalf("alignment kv % x", b[43:76])
	}
	// kv 2: quamba.data_xxhash64 (20 bytes) UINT64, bytes 76..116.
	if le.Uint64(b[76:]) != 20 || string(b[84:104]) != "quamba.data_xxhash64" || le.Uint32(b[104:]) != 10 {
		t.Fatalf("checksum kv % x", b[76:116])
	}
	// kv 3: quamba.header_xxhash64 (22 bytes) UINT64, bytes 116..158.
	if le.Uint64(b[116:]) != 22 || string(b[124:146]) != "quamba.header_xxhash64" || le.Uint32(b[146:]) != 10 {
		t.Fatalf("header checksum kv % x", b[116:158])
	}
	// Tensor info, bytes 158..199: name "t", n_dims 2, ne [3, 2], F32, offset 0.
	if le.Uint64(b[158:]) != 1 || b[166] != 't' || le.Uint32(b[167:]) != 2 ||
		le.Uint64(b[171:]) != 3 || le.Uint64(b[179:]) != 2 || le.Uint32(b[187:]) != 0 || le.Uint64(b[191:]) != 0 {
		t.Fatalf("tensor info % x", b[158:199])
	}
	// Zero padding to the data section at 256, 24 data bytes, padding to 320.
	if !bytes.Equal(b[199:256], make([]byte, 57)) || !bytes.Equal(b[256:280], data) || len(b) != 320 || !bytes.Equal(b[280:], make([]byte, 40)) {
		t.Fatalf("data section: len %d, % x", len(b), b[199:])
	}
	if le.Uint64(b[108:]) != xxhash.Sum64(b[256:]) {
		t.Fatalf("stored checksum %016x, data section hashes to %016x", le.Uint64(b[108:]), xxhash.Sum64(b[256:]))
	}
	// The header checksum hashes bytes 0..256 with its own value as zero.
	h := bytes.Clone(b[:256])
	clear(h[150:158])
	if le.Uint64(b[150:]) != xxhash.Sum64(h) {
		t.Fatalf("stored header checksum %016x, header hashes to %016x", le.Uint64(b[150:]), xxhash.Sum64(h))
	}
	g, err := ParseGGUF("hand.gguf", b)
	if err != nil || g.DataOffset() != 256 || !g.Verified() {
		t.Fatalf("parse: %v, data offset %d", err, g.DataOffset())
	}

	// With no tensors the data section is empty: its checksum is the
	// published xxhash64 of the empty input.
	b, err = encodeGGUF(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 24 header + 33 alignment kv + 40 checksum kv + 42 header checksum kv
	// = 139, padded to 192.
	if len(b) != 192 || le.Uint64(b[16:]) != 3 || le.Uint64(b[24+33+32:]) != 0xef46db3751d8e999 {
		t.Fatalf("empty file: %d bytes, checksum %016x", len(b), le.Uint64(b[24+33+32:]))
	}
}

func TestGGUFWriteErrors(t *testing.T) {
	f32 := func(name string, shape ...int) GGUFTensor {
		n := 4
		for _, d := range shape {
			n *= d
		}
		return GGUFTensor{Name: name, Type: GGMLF32, Shape: shape, Data: make([]byte, max(n, 0))}
	}
	long := strings.Repeat("x", 64)
	cases := []struct {
		name    string
		md      []GGUFKV
		tensors []GGUFTensor
		want    string
	}{
		{"empty key", []GGUFKV{{"", uint8(1)}}, nil, "metadata key is empty"},
		{"duplicate key", []GGUFKV{{"k", uint8(1)}, {"k", uint8(2)}}, nil, `duplicate metadata key "k"`},
		{"reserved alignment", []GGUFKV{{GGUFAlignmentKey, uint32(64)}}, nil, "written by the GGUF writer"},
		{"reserved checksum", []GGUFKV{{GGUFChecksumKey, uint64(0)}}, nil, "written by the GGUF writer"},
		{"reserved header checksum", []GGUFKV{{GGUFHeaderChecksumKey, uint64(0)}}, nil, "written by the GGUF writer"},
		{"plain int", []GGUFKV{{"k", 3}}, nil, `"k": Go type int has no GGUF type`},
		{"nil value", []GGUFKV{{"k", nil}}, nil, "has no GGUF type"},
		{"NaN", []GGUFKV{{"k", float32(math.NaN())}}, nil, `"k": value holds a NaN`},
		{"NaN in array", []GGUFKV{{"k", GGUFArrays{[]float64{1, math.NaN()}}}}, nil, "NaN"},
		{"scalar in array of arrays", []GGUFKV{{"k", GGUFArrays{[]int32{1}, int32(2)}}}, nil, "item 1 of an ARRAY of ARRAYs is INT32"},
		{"empty tensor name", nil, []GGUFTensor{f32("", 1)}, "tensor name is empty"},
		{"long tensor name", nil, []GGUFTensor{f32(long, 1)}, "at most 63"},
		{"duplicate tensor", nil, []GGUFTensor{f32("a", 1), f32("a", 2)}, `duplicate tensor name "a"`},
		{"no data", nil, []GGUFTensor{{Name: "a", Type: GGMLF32, Shape: []int{1}}}, "exactly one of Data and Write"},
		{"both data", nil, []GGUFTensor{{Name: "a", Type: GGMLF32, Shape: []int{1}, Data: make([]byte, 4), Write: func(io.Writer) error { return nil }}}, "exactly one of Data and Write"},
		{"zero dim", nil, []GGUFTensor{f32("a", 2, 0)}, "dimension 0 is not positive"},
		{"negative dim", nil, []GGUFTensor{{Name: "a", Type: GGMLF32, Shape: []int{-1}, Data: []byte{}}}, "not positive"},
		{"no dims", nil, []GGUFTensor{{Name: "a", Type: GGMLF32, Data: []byte{}}}, "1 to 4 dimensions"},
		{"five dims", nil, []GGUFTensor{f32("a", 1, 1, 1, 1, 1)}, "1 to 4 dimensions"},
		{"huge", nil, []GGUFTensor{{Name: "a", Type: GGMLF32, Shape: []int{1 << 30, 1 << 30, 1 << 30}, Data: []byte{}}}, "too many elements"},
		{"unknown type", nil, []GGUFTensor{{Name: "a", Type: 31, Shape: []int{1}, Data: []byte{0}}}, "unsupported tensor type id 31"},
		{"block multiple", nil, []GGUFTensor{{Name: "a", Type: 2, Shape: []int{1, 33}, Data: []byte{0}}}, "multiple of 32"},
		{"data length", nil, []GGUFTensor{{Name: "a", Type: GGMLI32, Shape: []int{3}, Data: make([]byte, 11)}}, `"a": I32 [3] needs 12 bytes, Data has 11`},
	}
	dir := t.TempDir()
	for _, c := range cases {
		path := filepath.Join(dir, "bad.gguf")
		err := WriteGGUF(path, c.md, c.tensors)
		wantGGUFErr(t, err, path, c.want)
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Fatalf("%s: left %d files behind", c.name, len(ents))
		}
	}
}

// TestGGUFWriteAtomic: a write that fails while streaming leaves neither the
// file nor a temporary file, and keeps an existing file as it was.
func TestGGUFWriteAtomic(t *testing.T) {
	boom := errors.New("boom")
	fail := []struct {
		write func(w io.Writer) error
		want  string
	}{
		{func(w io.Writer) error { w.Write(make([]byte, 8)); return boom }, `tensor "b": boom`},
		{func(w io.Writer) error { _, err := w.Write(make([]byte, 12)); return err }, `tensor "b": Write gave 12 of its 16 bytes`},
		{func(w io.Writer) error { _, err := w.Write(make([]byte, 17)); return err }, "more than the tensor's size"},
	}
	for _, existing := range []bool{false, true} {
		for _, c := range fail {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.gguf")
			if existing {
				os.WriteFile(path, []byte("old"), 0o644)
			}
			ts := []GGUFTensor{
				{Name: "a", Type: GGMLF32, Shape: []int{1}, Data: make([]byte, 4)},
				{Name: "b", Type: GGMLF32, Shape: []int{4}, Write: c.write},
			}
			err := WriteGGUF(path, nil, ts)
			wantGGUFErr(t, err, path, c.want)
			ents, _ := os.ReadDir(dir)
			old, _ := os.ReadFile(path)
			switch {
			case existing && (len(ents) != 1 || string(old) != "old"):
				t.Fatalf("existing file: %d entries, content %q", len(ents), old)
			case !existing && len(ents) != 0:
				t.Fatalf("left %s behind", ents[0].Name())
			}
		}
	}
}

// smallGGUF is a small valid file with strings, arrays and two tensors.
func smallGGUF(t testing.TB) []byte {
	b, err := encodeGGUF([]GGUFKV{
		{"general.architecture", "mamba"},
		{"tok", []string{"a", "bc"}},
		{"n", GGUFArrays{[]int32{1}}},
		{"f", float32(0.25)},
	}, []GGUFTensor{
		{Name: "x", Type: GGMLI8, Shape: []int{3, 2}, Data: []byte{1, 2, 3, 4, 5, 6}},
		{Name: "y", Type: GGMLF32, Shape: []int{2}, Data: []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGGUFTruncated(t *testing.T) {
	b := smallGGUF(t)
	if _, err := ParseGGUF("small.gguf", b); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if _, err := ParseGGUF("small.gguf", b[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(b))
		} else if !strings.HasPrefix(err.Error(), "small.gguf: ") {
			t.Fatalf("truncated to %d: error %q does not name the file", n, err)
		}
	}
	path := writeTemp(t, "cut.gguf", b[:len(b)-40])
	_, err := OpenGGUF(path)
	wantGGUFErr(t, err, path, "checksum mismatch")
	_, err = OpenGGUF(filepath.Join(t.TempDir(), "absent.gguf"))
	wantGGUFErr(t, err, "absent.gguf")
	_, err = OpenGGUF(writeTemp(t, "empty.gguf", nil))
	wantGGUFErr(t, err, "empty.gguf", "not a GGUF file")
}

func TestGGUFChecksum(t *testing.T) {
	b := smallGGUF(t)
	g, _ := ParseGGUF("ok.gguf", b)
	x, _ := g.TensorInfo("x")
	flipped := bytes.Clone(b)
	at := g.DataOffset() + x.Offset + 4
	flipped[at] ^= 0x10
	path := writeTemp(t, "flip.gguf", flipped)
	_, err := OpenGGUF(path)
	wantGGUFErr(t, err, path, "checksum mismatch: data section xxhash64", "want", GGUFChecksumKey)
	g, err = OpenGGUF(path, GGUFOptions{SkipChecksum: true})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if v, err := g.TensorI8("x"); err != nil || v[4] != 5^0x10 {
		t.Fatalf("SkipChecksum read %v %v", v, err)
	}
	// A flip in the padding after the last tensor is data section too.
	flipped = bytes.Clone(b)
	flipped[len(b)-1] = 1
	_, err = ParseGGUF("pad.gguf", flipped)
	wantGGUFErr(t, err, "checksum mismatch")

	// A file without the key verifies nothing; a key of the wrong type fails
	// even when skipping.
	r := newRaw(3, 1, 0).tensor("t", []uint64{2}, uint32(GGMLI8), 0).padTo(32).u8(9).u8(9)
	if _, err := ParseGGUF("nokey.gguf", r.b); err != nil {
		t.Fatal(err)
	}
	r = newRaw(3, 0, 1).kvU32(GGUFChecksumKey, 5)
	_, err = ParseGGUF("k.gguf", r.b, GGUFOptions{SkipChecksum: true})
	wantGGUFErr(t, err, "k.gguf", GGUFChecksumKey, "is UINT32, not UINT64")
}

// TestGGUFHeaderChecksum: with both checksums every byte of the file is
// covered, so each flipped byte is an error (the header checksum's, or the
// data's, or an earlier parse error), or, when the flip renames a checksum
// key, a file that is no longer Sealed (which readers of sealed files
// refuse).
func TestGGUFHeaderChecksum(t *testing.T) {
	b := smallGGUF(t)
	g, err := ParseGGUF("ok.gguf", b)
	if err != nil || !g.Verified() || !g.Sealed() {
		t.Fatalf("parse: %v, verified %v, sealed %v", err, g.Verified(), g.Sealed())
	}
	headerErrs := 0
	for i := range b {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= x
			f, err := ParseGGUF("flip.gguf", c)
			if err == nil {
				if f.Sealed() {
					t.Fatalf("byte %d of %d ^ %#x: the file still reads, sealed", i, len(b), x)
				}
				continue
			}
			if !strings.HasPrefix(err.Error(), "flip.gguf: ") {
				t.Fatalf("byte %d: error %q does not name the file", i, err)
			}
			if strings.Contains(err.Error(), GGUFHeaderChecksumKey) {
				headerErrs++
			}
			// Skipping the checksums reads what parses, without panicking.
			if f, err = ParseGGUF("flip.gguf", c, GGUFOptions{SkipChecksum: true}); err == nil {
				for _, info := range f.Tensors() {
					f.Tensor(info.Name)
				}
				if f.Verified() {
					t.Fatalf("byte %d: Verified after SkipChecksum", i)
				}
			}
		}
	}
	if headerErrs == 0 {
		t.Fatal("no flip was reported by the header checksum")
	}
	// A header flip reports the header checksum, naming the key.
	c := bytes.Clone(b)
	c[bytes.Index(c, []byte("mamba"))] ^= 0x20 // "Mamba": a valid file but for the checksum
	_, err = ParseGGUF("name.gguf", c)
	wantGGUFErr(t, err, "name.gguf", "checksum mismatch: header", GGUFHeaderChecksumKey)

	// A file with the data checksum only (as written before the header
	// checksum existed) reads, verified by neither.
	r := newRaw(3, 1, 1)
	r.str(GGUFChecksumKey).u32(uint32(ggufUint64))
	at := len(r.b)
	r.u64(0).tensor("t", []uint64{2}, uint32(GGMLI8), 0).padTo(32).u8(9).u8(9).padTo(32)
	binary.LittleEndian.PutUint64(r.b[at:], xxhash.Sum64(r.b[128:]))
	if g, err := ParseGGUF("old.gguf", r.b); err != nil || g.Verified() || g.Sealed() || g.DataOffset() != 128 {
		t.Fatalf("data checksum only: %v, verified %v, sealed %v", err, g != nil && g.Verified(), g != nil && g.Sealed())
	}
	// The header checksum key must be UINT64, even when skipping.
	r = newRaw(3, 0, 1).kvU32(GGUFHeaderChecksumKey, 5)
	_, err = ParseGGUF("k.gguf", r.b, GGUFOptions{SkipChecksum: true})
	wantGGUFErr(t, err, "k.gguf", GGUFHeaderChecksumKey, "not UINT64")
	// SkipChecksum: sealed, not verified.
	if g, err := ParseGGUF("skip.gguf", b, GGUFOptions{SkipChecksum: true}); err != nil || g.Verified() || !g.Sealed() {
		t.Fatalf("skip: %v", err)
	}
}

func TestGGUFCorrupt(t *testing.T) {
	base := func() *rawGGUF {
		return newRaw(3, 1, 1).kvU32(GGUFAlignmentKey, 32).tensor("t", []uint64{4}, uint32(GGMLF32), 0).padTo(32).zeros(16)
	}
	if g, err := ParseGGUF("base.gguf", base().b); err != nil || g.Alignment() != 32 || g.DataOffset() != 96 {
		t.Fatalf("baseline: %v", err)
	}
	// kvOnly builds a file with one metadata pair given as raw bytes.
	kv := func(key string, typ uint32, body ...func(r *rawGGUF)) []byte {
		r := newRaw(3, 0, 1).str(key).u32(typ)
		for _, f := range body {
			f(r)
		}
		return r.b
	}
	// tensors builds a file with alignment 32 and the given infos, padded,
	// followed by n data bytes.
	tensors := func(n int, infos ...func(r *rawGGUF)) []byte {
		r := newRaw(3, uint64(len(infos)), 1).kvU32(GGUFAlignmentKey, 32)
		for _, f := range infos {
			f(r)
		}
		return r.padTo(32).zeros(n).b
	}
	ti := func(name string, ne []uint64, typ uint32, off uint64) func(r *rawGGUF) {
		return func(r *rawGGUF) { r.tensor(name, ne, typ, off) }
	}
	deep := newRaw(3, 0, 1).str("deep").u32(9)
	for range 20 {
		deep.u32(9).u64(1)
	}
	deep.u32(4).u64(0)

	magic := base().b
	magic[0] = 'X'
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"magic", magic, []string{`magic "XGUF"`}},
		{"version 2", newRaw(2, 0, 0).b, []string{"GGUF version 2 is not supported"}},
		{"version 4", newRaw(4, 0, 0).b, []string{"GGUF version 4 is newer than this reader"}},
		{"big endian", newRaw(0x03000000, 0, 0).b, []string{"big-endian"}},
		{"kv count", newRaw(3, 0, 1<<60).b, []string{"metadata count 1152921504606846976 cannot fit"}},
		{"tensor count", newRaw(3, 1<<60, 0).b, []string{"tensor count 1152921504606846976 cannot fit"}},
		{"key length", newRaw(3, 0, 1).u64(1 << 62).zeros(10).b, []string{"metadata key 0 length 4611686018427387904", "runs past the end"}},
		{"empty key", newRaw(3, 0, 1).kvU32("", 1).b, []string{"metadata key 0 at offset 24 is empty"}},
		{"duplicate key", newRaw(3, 0, 2).kvU32("k", 1).kvU32("k", 2).b, []string{`duplicate metadata key "k"`}},
		{"value type", kv("k", 13, func(r *rawGGUF) { r.u32(0) }), []string{`"k": bad value type 13`}},
		{"string length", kv("k", 8, func(r *rawGGUF) { r.u64(1 << 40).zeros(4) }), []string{`"k": STRING value length 1099511627776`, "runs past the end"}},
		{"bool", kv("k", 7, func(r *rawGGUF) { r.u8(2) }), []string{`"k": BOOL value 2`}},
		{"array count", kv("k", 9, func(r *rawGGUF) { r.u32(4).u64(1 << 61).zeros(8) }), []string{`"k": array of 2305843009213693952 UINT32 elements`, "cannot fit"}},
		{"string array count", kv("k", 9, func(r *rawGGUF) { r.u32(8).u64(1000).zeros(100) }), []string{"array of 1000 STRING elements"}},
		{"array of arrays count", kv("k", 9, func(r *rawGGUF) { r.u32(9).u64(1000).zeros(100) }), []string{"array of 1000 ARRAY elements"}},
		{"array elem type", kv("k", 9, func(r *rawGGUF) { r.u32(77).u64(0) }), []string{`"k": bad array element type 77`}},
		{"bool array", kv("k", 9, func(r *rawGGUF) { r.u32(7).u64(2).u8(1).u8(3) }), []string{"BOOL array element 1", "is 3"}},
		{"array truncated", kv("k", 9, func(r *rawGGUF) { r.u32(8).u64(2).str("a").u64(5) }), []string{"STRING array element 1 length 5"}},
		{"nested too deep", deep.b, []string{`"deep"`, "nested deeper than 16"}},
		{"alignment 48", newRaw(3, 0, 1).kvU32(GGUFAlignmentKey, 48).b, []string{"alignment 48 is not a power of two"}},
		{"alignment 0", newRaw(3, 0, 1).kvU32(GGUFAlignmentKey, 0).b, []string{"alignment 0 is not a power of two"}},
		{"alignment type", kv(GGUFAlignmentKey, 10, func(r *rawGGUF) { r.u64(32) }), []string{GGUFAlignmentKey, "is UINT64, not UINT32"}},
		{"empty tensor name", tensors(16, ti("", []uint64{4}, 0, 0)), []string{"tensor 0 at offset", "name is empty"}},
		{"long tensor name", tensors(16, ti(strings.Repeat("n", 64), []uint64{4}, 0, 0)), []string{"name is 64 bytes"}},
		{"duplicate tensor", tensors(64, ti("a", []uint64{4}, 0, 0), ti("a", []uint64{4}, 0, 32)), []string{`duplicate tensor name "a"`}},
		{"n_dims 0", tensors(16, ti("a", nil, 0, 0)), []string{`tensor "a": n_dims 0`}},
		{"n_dims 5", tensors(16, ti("a", []uint64{1, 1, 1, 1, 1}, 0, 0)), []string{`tensor "a": n_dims 5`}},
		{"dim 0", tensors(16, ti("a", []uint64{4, 0}, 0, 0)), []string{`tensor "a": dimension ne[1] = 0`}},
		{"dim huge", tensors(16, ti("a", []uint64{1 << 63}, 0, 0)), []string{"dimension ne[0] = 9223372036854775808 out of range"}},
		{"dims overflow", tensors(16, ti("a", []uint64{1 << 32, 1 << 32}, 0, 0)), []string{`tensor "a"`, "too many elements"}},
		{"type removed", tensors(16, ti("a", []uint64{4}, 31, 0)), []string{`tensor "a": unsupported tensor type id 31`}},
		{"type unknown", tensors(16, ti("a", []uint64{4}, 1000, 0)), []string{"unsupported tensor type id 1000"}},
		{"block multiple", tensors(64, ti("a", []uint64{33}, 2, 0)), []string{`tensor "a"`, "Q4_0 needs the innermost dimension to be a multiple of 32"}},
		{"unaligned", tensors(64, ti("a", []uint64{4}, 0, 4)), []string{`tensor "a": data offset 4 is not a multiple of the alignment 32`}},
		{"overlap", tensors(96, ti("a", []uint64{16}, 0, 0), ti("b", []uint64{4}, 0, 32)), []string{`tensor "b": data [32, 48) overlaps tensor "a" at [0, 64)`}},
		{"past end", tensors(8, ti("a", []uint64{4}, 0, 0)), []string{`tensor "a": data [0, 16) runs past the end of the 8-byte data section`}},
		{"offset far", tensors(16, ti("a", []uint64{4}, 0, 1<<62)), []string{"runs past the end"}},
		{"offset huge", tensors(16, ti("a", []uint64{4}, 0, 1<<63)), []string{"data offset 9223372036854775808 out of range"}},
		{"padding cut", newRaw(3, 0, 1).kvU32("k", 1).zeros(3).b, []string{"truncated padding: the data section starts at byte 64"}},
	}
	for _, c := range cases {
		_, err := ParseGGUF("bad.gguf", c.data)
		if err == nil {
			t.Fatalf("%s: no error", c.name)
		}
		wantGGUFErr(t, err, append([]string{"bad.gguf: "}, c.want...)...)
	}
}

// TestGGUFViewAlignment: a typed view of data that is not aligned in memory
// fails clearly while the raw bytes stay readable.
func TestGGUFViewAlignment(t *testing.T) {
	b := smallGGUF(t)
	buf := make([]byte, len(b)+8)
	shifted := buf[1 : 1+len(b)]
	if uintptr(unsafeAddr(shifted))%4 == 0 {
		shifted = buf[2 : 2+len(b)]
	}
	copy(shifted, b)
	g, err := ParseGGUF("shifted.gguf", shifted)
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.TensorF32("y")
	wantGGUFErr(t, err, `tensor "y"`, "is not 4-byte aligned in memory")
	if raw, err := g.Tensor("y"); err != nil || len(raw) != 8 || raw[3] != 0x3f {
		t.Fatalf("raw bytes: % x %v", raw, err)
	}
	if v, err := g.TensorI8("x"); err != nil || v[5] != 6 {
		t.Fatalf("I8 view needs no alignment: %v %v", v, err)
	}
}

func TestGGMLByteSize(t *testing.T) {
	cases := []struct {
		typ   GGMLType
		shape []int
		want  int64
	}{
		{GGMLF32, []int{3, 5}, 60},
		{GGMLF16, []int{7}, 14},
		{GGMLI8, []int{2, 3, 4, 5}, 120},
		{GGMLF64, []int{1}, 8},
		{GGMLType(2), []int{3, 64}, 3 * 2 * 18},           // Q4_0
		{GGMLType(12), []int{2, 512}, 2 * 2 * 144},        // Q4_K
		{GGMLType(14), []int{256}, 210},                   // Q6_K
		{GGMLType(39), []int{1, 1, 32}, 17},               // MXFP4
		{GGMLType(34), []int{1 << 10, 256}, 1 << 10 * 54}, // TQ1_0
	}
	for _, c := range cases {
		got, err := c.typ.ByteSize(c.shape...)
		if err != nil || got != c.want {
			t.Fatalf("%s %v: %d %v, want %d", c.typ, c.shape, got, err, c.want)
		}
	}
	for _, typ := range []GGMLType{9, 31, 36, 40} {
		_, err := typ.ByteSize(32)
		wantGGUFErr(t, err, "unsupported tensor type id")
	}
	if s := GGMLType(12).String(); s != "Q4_K" {
		t.Fatalf("type 12 is %q", s)
	}
	if s := GGMLType(99).String(); s != "type(99)" {
		t.Fatalf("type 99 is %q", s)
	}
}

// TestGGUFThirdParty reads a vocabulary-only GGUF written by llama.cpp's
// tools and checks it against fields parsed by hand here.
func TestGGUFThirdParty(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "gguf", "vocab-gpt-neox.gguf")
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("third-party GGUF %s is not present; skipping the interoperability check", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	g, err := OpenGGUF(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	le := binary.LittleEndian
	if arch, err := g.String("general.architecture"); err != nil || arch != "gptneox" {
		t.Fatalf("general.architecture %q %v", arch, err)
	}
	if n := uint64(len(g.Tensors())); n != le.Uint64(raw[8:]) {
		t.Fatalf("%d tensors, header says %d", n, le.Uint64(raw[8:]))
	}
	if n := uint64(len(g.Metadata())); n != le.Uint64(raw[16:]) {
		t.Fatalf("%d metadata pairs, header says %d", n, le.Uint64(raw[16:]))
	}
	// Find the key by its bytes: u64 length, key, ARRAY (9), STRING (8),
	// then the u64 count and the first string.
	key := "tokenizer.ggml.tokens"
	pat := le.AppendUint64(nil, uint64(len(key)))
	pat = append(pat, key...)
	pat = le.AppendUint32(pat, 9)
	pat = le.AppendUint32(pat, 8)
	at := bytes.Index(raw, pat)
	if at < 0 {
		t.Fatalf("%s: key %s with type ARRAY of STRING not found by hand", path, key)
	}
	at += len(pat)
	count := le.Uint64(raw[at:])
	firstLen := le.Uint64(raw[at+8:])
	first := string(raw[at+16 : at+16+int(firstLen)])

	tokens, err := g.Strings(key)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(tokens)) != count || count < 50000 || tokens[0] != first {
		t.Fatalf("%d tokens (first %q), hand count %d (first %q)", len(tokens), tokens[0], count, first)
	}
	if _, err := g.Uint32("gptneox.block_count"); err != nil {
		t.Fatal(err)
	}
}

func unsafeAddr(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }

// TestGGUFConcurrentReads reads one mapped file from several goroutines
// (run with -race to check).
func TestGGUFConcurrentReads(t *testing.T) {
	path := writeTemp(t, "c.gguf", smallGGUF(t))
	g, err := OpenGGUF(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 100 {
				y, err := g.TensorF32("y")
				if err == nil && (len(y) != 2 || y[0] != 1 || y[1] != 2) {
					err = errors.New("wrong tensor values")
				}
				if err == nil {
					_, err = g.Strings("tok")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
