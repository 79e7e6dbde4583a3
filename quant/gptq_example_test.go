package quant_test

import (
	"fmt"

	"github.com/quamba/quamba/quant"
)

// GPTQ with the 4-bit group quantizer: the Hessian comes from calibration
// activations of the layer's 4 inputs, here two strongly correlated pairs.
func ExampleGPTQW4() {
	x := []float32{
		1, 1, 0, 0,
		-1, -0.9, 0.5, 0.5,
		0.5, 0.6, -1, -1.1,
	}
	h, err := quant.NewHessian(4)
	if err != nil {
		panic(err)
	}
	if err := h.Add(x, 3); err != nil {
		panic(err)
	}
	w := []float32{0.7, 0.3, -0.2, 0.55}
	t, wq, err := quant.GPTQW4(w, 1, 4, h, quant.W4Options{Group: 32}, quant.GPTQOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Codes, t.Groups(), t.BitsPerWeight())
	fmt.Printf("%.3f\n", wq)
	// Output:
	// [15 12 6 14] 1 20
	// [0.653 0.373 -0.187 0.560]
}
