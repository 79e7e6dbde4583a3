//go:build !noasm

package arm64

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// The SMMLA kernels emit SMMLA (which Go's assembler lacks) and the float
// instructions as WORD directives with their mnemonic in a comment; these
// tests check every one of them against the architecture's encoding and
// against GNU as for ARMv8.6 with I8MM.

// i8mmSources are the SMMLA kernel sources.
var i8mmSources = []string{"gemm_i8mm_arm64.s", "w4a8_gemm_i8mm_arm64.s"}

// smmlaRE matches SMMLA Vd.4S, Vn.16B, Vm.16B.
var smmlaRE = regexp.MustCompile(`^smmla v(\d+)\.4s, v(\d+)\.16b, v(\d+)\.16b$`)

// encodeSMMLA encodes SMMLA (vector) from the ARM Architecture Reference
// Manual: 0x4E80A400 | Rm<<16 | Rn<<5 | Rd.
func encodeSMMLA(asm string) (uint32, bool) {
	m := smmlaRE.FindStringSubmatch(asm)
	if m == nil {
		return 0, false
	}
	d, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	r, _ := strconv.Atoi(m[3])
	return 0x4E80A400 | uint32(r)<<16 | uint32(n)<<5 | uint32(d), true
}

func TestSMMLAEncodings(t *testing.T) {
	// The anchor: SMMLA v0.4s, v1.16b, v2.16b = 0x4E82A420.
	if e, _ := encodeSMMLA("smmla v0.4s, v1.16b, v2.16b"); e != 0x4E82A420 {
		t.Fatalf("encodeSMMLA(anchor) = %#x, want 0x4E82A420", e)
	}
	n := 0
	for _, w := range kernelWords(t, i8mmSources...) {
		if e, ok := encodeSMMLA(w.asm); ok {
			n++
			if e != w.enc {
				t.Errorf("%s:%d: %s is %#08X, want %#08X", w.file, w.line, w.asm, w.enc, e)
			}
		}
	}
	// 2 × 16 in the W8A8 kernel (8 k and odd last block), 16 in W4A8.
	if n != 48 {
		t.Errorf("%d SMMLA words, want 48", n)
	}
	t.Logf("%d SMMLA words checked", n)
}

// TestI8MMWordsAssemble assembles every WORD mnemonic of the SMMLA kernels
// with GNU as for armv8.6-a+i8mm and compares the encodings. It is skipped,
// with a message, when aarch64-linux-gnu-as (or objcopy) is not installed.
func TestI8MMWordsAssemble(t *testing.T) {
	as, err := exec.LookPath("aarch64-linux-gnu-as")
	if err != nil {
		t.Skip("aarch64-linux-gnu-as not installed (apt-get install binutils-aarch64-linux-gnu): SMMLA words not checked against GNU as")
	}
	objcopy, err := exec.LookPath("aarch64-linux-gnu-objcopy")
	if err != nil {
		t.Skip("aarch64-linux-gnu-objcopy not installed (apt-get install binutils-aarch64-linux-gnu): SMMLA words not checked against GNU as")
	}
	words := kernelWords(t, i8mmSources...)
	dir := t.TempDir()
	var src bytes.Buffer
	src.WriteString(".arch armv8.6-a+i8mm\n")
	for _, w := range words {
		fmt.Fprintln(&src, w.asm)
	}
	s, o, b := filepath.Join(dir, "w.s"), filepath.Join(dir, "w.o"), filepath.Join(dir, "w.bin")
	if err := os.WriteFile(s, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(as, "-o", o, s).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", as, err, out)
	}
	if out, err := exec.Command(objcopy, "-O", "binary", "-j", ".text", o, b).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", objcopy, err, out)
	}
	bin, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(bin) != 4*len(words) {
		t.Fatalf("assembled %d bytes for %d instructions", len(bin), len(words))
	}
	for i, w := range words {
		if e := binary.LittleEndian.Uint32(bin[4*i:]); e != w.enc {
			t.Errorf("%s:%d: %s is %#08X, GNU as says %#08X", w.file, w.line, w.asm, w.enc, e)
		}
	}
	t.Logf("%d words of the SMMLA kernels checked against GNU as", len(words))
}
