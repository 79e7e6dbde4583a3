package formats_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/quamba/quamba/formats"
)

// Write a tiny GGUF file with two metadata keys and one row-major [2, 3]
// float32 tensor, then read a key and the tensor back.
func ExampleWriteGGUF() {
	dir, err := os.MkdirTemp("", "quamba-gguf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")

	w := []float32{1, 2, 3, 4, 5, 6} // [rows=2, cols=3]
	data := make([]byte, 0, 4*len(w))
	for _, v := range w {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
	}
	err = formats.WriteGGUF(path,
		[]formats.GGUFKV{
			{Key: "general.architecture", Value: "mamba"},
			{Key: "mamba.block_count", Value: uint32(24)},
		},
		[]formats.GGUFTensor{{Name: "w", Type: formats.GGMLF32, Shape: []int{2, 3}, Data: data}})
	if err != nil {
		log.Fatal(err)
	}

	f, err := formats.OpenGGUF(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	arch, _ := f.String("general.architecture")
	layers, _ := f.Uint32("mamba.block_count")
	info, _ := f.TensorInfo("w")
	v, err := f.TensorF32("w")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(arch, layers, f.Alignment())
	fmt.Println(info.Type, info.Shape, info.Offset%64, v[3:])
	// Output:
	// mamba 24 64
	// F32 [2 3] 0 [4 5 6]
}
