package quant

import (
	"fmt"
	"math"

	"github.com/quamba/quamba/model"
)

// MaxWeightMagnitude bounds the absolute value of every weight Compile
// accepts. A finite weight far beyond what training gives (a corrupted or
// hand-edited checkpoint: 1e38) does not fail where it is read but
// overflows later, into infinities and NaNs: the squares of RMSNorm, the
// sums of a projection, the norm folding and Hadamard rotations of the
// transforms. The bound leaves twelve orders of magnitude above any
// trained model's weights.
const MaxWeightMagnitude = 1e15

// checkMagnitudes refuses weights beyond MaxWeightMagnitude, naming the
// tensor and the element.
func checkMagnitudes(w *model.Weights) error {
	for _, t := range w.Tensors() {
		v, err := w.Tensor(t.Name)
		if err != nil {
			return fmt.Errorf("quant: %w", err)
		}
		for i, x := range v {
			if !(math.Abs(float64(x)) <= MaxWeightMagnitude) {
				return fmt.Errorf("quant: tensor %s: element %d is %g, beyond ±%g: float32 squares and sums of it overflow in the forward pass and the transforms", t.Name, i, x, float64(MaxWeightMagnitude))
			}
		}
	}
	return nil
}
