package quant

import (
	"fmt"
	"math"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// MaxWeightMagnitude bounds the absolute value of every weight Compile
// accepts, the bound formats applies to a checkpoint's tensors (see
// formats.MaxWeightMagnitude), here for weights from any source: a finite
// weight far beyond what training gives (1e38) overflows later, into
// infinities and NaNs, in the squares of RMSNorm, the sums of a projection,
// the norm folding and Hadamard rotations of the transforms.
const MaxWeightMagnitude = formats.MaxWeightMagnitude

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
