package kernels_test

import (
	"fmt"

	"github.com/quamba/quamba/kernels"
)

// A W8A8 product with float32 outputs: the weights are packed once, then
// every call multiplies int8 activations by them and scales the int32
// accumulators by s_x·s_w.
func ExampleMatMulW8A8F32() {
	w, err := kernels.PackW8(2, 3, []int8{
		1, 2, 3,
		-1, 0, 1,
	}, 3)
	if err != nil {
		panic(err)
	}
	x := []int8{10, 20, 30}
	y := make([]float32, 2)
	scale := []float32{0.5} // per tensor: s_x·s_w
	kernels.MatMulW8A8F32(1, x, 3, w, scale, nil, y, 2)
	fmt.Println(y)
	// Output: [70 10]
}

// The normalised Hadamard transform spreads a spike over every element;
// HadamardQuantI8 fuses it with int8 quantization.
func ExampleHadamardQuantI8() {
	x := []float32{1, 0, 0, 0}
	q := make([]int8, 4)
	kernels.HadamardQuantI8(x, 100, q) // q = round(H·x/√4 · 100)
	fmt.Println(q)
	// Output: [50 50 50 50]
}
