//go:build !noasm

package arm64

import (
	"regexp"
	"strconv"
	"testing"
)

// The float32 kernels emit FMLA by element as WORD directives (Go's
// assembler rejects it). TestWordsAssemble checks them against GNU as with
// the other matmul words; this test checks them against the encoding formula
// of the ARM Architecture Reference Manual, which needs no external tool.

var fmlaElemRE = regexp.MustCompile(`^fmla v(\d+)\.4s, v(\d+)\.4s, v(\d+)\.s\[(\d)\]$`)

// encodeFMLAElem encodes FMLA Vd.4S, Vn.4S, Vm.S[i]:
// 0x4F801000 | L<<21 | M:Rm<<16 | H<<11 | Rn<<5 | Rd with i = H:L.
func encodeFMLAElem(asm string) (uint32, bool) {
	m := fmlaElemRE.FindStringSubmatch(asm)
	if m == nil {
		return 0, false
	}
	d, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	r, _ := strconv.Atoi(m[3])
	i, _ := strconv.Atoi(m[4])
	return 0x4F801000 | uint32(i&1)<<21 | uint32(r)<<16 | uint32(i>>1)<<11 | uint32(n)<<5 | uint32(d), true
}

func TestF32FMLAEncodings(t *testing.T) {
	n := 0
	for _, w := range kernelWords(t, "f32*_arm64.s") {
		if e, ok := encodeFMLAElem(w.asm); ok {
			n++
			if e != w.enc {
				t.Errorf("%s:%d: %s is 0x%08X, want 0x%08X", w.file, w.line, w.asm, w.enc, e)
			}
		}
	}
	if n == 0 {
		t.Fatal("no FMLA by element found")
	}
	t.Logf("%d FMLA words checked", n)
}
