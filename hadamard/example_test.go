package hadamard_test

import (
	"fmt"

	"github.com/quamba/quamba/hadamard"
)

// A length-12 transform of the unit vector e_1 gives column 1 of H_12
// divided by √12 ≈ 3.4641.
func ExampleTransform() {
	x := make([]float32, 12)
	x[1] = 1
	if err := hadamard.Transform(x); err != nil {
		fmt.Println(err)
		return
	}
	for i, v := range x {
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Printf("%.4f", v)
	}
	fmt.Println()
	fmt.Println(hadamard.Check(100))
	// Output:
	// -0.2887 -0.2887 0.2887 -0.2887 0.2887 -0.2887 0.2887 -0.2887 0.2887 -0.2887 0.2887 -0.2887
	// hadamard: length 100 is not K*2^m for K in {1,12,20,28,40}
}
