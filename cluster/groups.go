package cluster

// ContiguousGroups reports whether labels over ordered positions are
// monotone (non-decreasing), so that every cluster is one contiguous run of
// positions and the runs come in increasing label order; Quamba2 requires
// this of its channel clusters. If so it returns the group boundaries: the
// cumulative end index of each run, one per distinct label (a label that
// does not occur makes no group), the last equal to len(labels). Otherwise
// it returns nil, false. Empty labels give an empty, valid result.
func ContiguousGroups(labels []int) ([]int, bool) {
	ends := []int{}
	for i, l := range labels {
		if i > 0 && l < labels[i-1] {
			return nil, false
		}
		if i+1 == len(labels) || labels[i+1] != l {
			ends = append(ends, i+1)
		}
	}
	return ends, true
}

// EqualSplit returns the boundaries (cumulative end indices) of min(n, k)
// contiguous groups of n ordered positions whose sizes differ by at most
// one, the larger groups first (as numpy's array_split); no group is empty,
// so n < k gives n groups of one. It is Quamba2's fallback when cluster
// labels are not monotone. It returns nil if n ≤ 0 or k ≤ 0.
func EqualSplit(n, k int) []int {
	if n <= 0 || k <= 0 {
		return nil
	}
	k = min(k, n)
	ends := make([]int, k)
	size, extra := n/k, n%k
	end := 0
	for g := range ends {
		end += size
		if g < extra {
			end++
		}
		ends[g] = end
	}
	return ends
}
