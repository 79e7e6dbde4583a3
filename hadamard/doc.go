// Package hadamard applies the orthogonal Hadamard transforms of Quamba and
// Quamba2 to vectors and to row-major weight matrices: lengths n = K·2^m for
// K ∈ {1, 12, 20, 28, 40}, y = (H_K ⊗ H_{2^m})·x/√n with the K index
// outermost. It is a thin, checked layer over kernels.Hadamard, whose ±1
// tables (the Dao-AILab fast-hadamard-transform ones) are the only copy:
// Check refuses unsupported dimensions with an error instead of a panic,
// RotateRows and RotateCols fuse a transform into a weight matrix on its
// input or output side, and Dense builds the explicit matrix for small n.
package hadamard
