// Package cluster holds the small, deterministic clustering routines of
// Quamba2's sort-and-cluster step (grouping heads and channel positions of
// the SSM input x so each group gets its own int8 scale): agglomerative
// clustering with Ward linkage for heads, Lloyd's k-means with fixed initial
// centres for channel positions, and the helpers that turn labels over
// ordered positions into contiguous group boundaries.
package cluster
