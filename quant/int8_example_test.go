package quant_test

import (
	"fmt"

	"github.com/quamba/quamba/quant"
)

// Per-slice int8 weights: rows 0-1 and row 2 get their own scales, as the
// z | x | B | C | dt slices of Mamba2's in_proj do.
func ExampleQuantizeW8() {
	w := []float32{
		0.5, -1.27,
		1.0, 0.25,
		0.01, -0.02,
	}
	t, err := quant.QuantizeW8(w, 3, 2, quant.PerSlice, []int{2, 3})
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Codes, t.RowScales())
	// Output: [50 -127 100 25 63 -127] [0.01 0.01 0.00015748032]
}

// Activation fake-quantization rounds to the int8 grid exactly as the
// runtime kernels do: halves to even, saturation at -128 and 127.
func ExampleFakeQuantI8() {
	x := []float32{0.3, 0.625, -0.625, 100, -100}
	if err := quant.FakeQuantI8(x, 0.25); err != nil {
		panic(err)
	}
	fmt.Println(x)
	// Output: [0.25 0.5 -0.5 31.75 -32]
}
