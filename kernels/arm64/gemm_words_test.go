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
	"strings"
	"testing"
)

// The matmul kernels emit the instructions Go's assembler lacks (SDOT,
// SMULL, SADALP, SCVTF, FMUL, FCVTN, FMLA by element, vector FADD, ...) as
// WORD directives, each followed by its mnemonic in a comment. These tests
// keep the two in step.

var wordRE = regexp.MustCompile(`WORD\s+\$0x([0-9A-Fa-f]{8})\s*(?://|/\*)\s*([^*]+?)\s*(?:\*/.*)?$`)

type word struct {
	file string
	line int
	enc  uint32
	asm  string
}

// matmulSources are the int8, 4-bit and float32 matmul kernel sources.
var matmulSources = []string{"gemm*_arm64.s", "gemv*_arm64.s", "w4*_arm64.s", "gemm*_arm64.h", "f32*_arm64.s"}

// kernelWords lists the WORD directives of the sources matching patterns.
func kernelWords(t *testing.T, patterns ...string) []word {
	var files []string
	for _, pat := range patterns {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var words []word
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(src), "\n") {
			if !strings.Contains(l, "WORD") || strings.HasPrefix(strings.TrimSpace(l), "//") {
				continue
			}
			m := wordRE.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("%s:%d: WORD without a mnemonic comment: %q", f, i+1, l)
				continue
			}
			v, _ := strconv.ParseUint(m[1], 16, 32)
			words = append(words, word{f, i + 1, uint32(v), m[2]})
		}
	}
	if len(words) == 0 {
		t.Fatal("no WORD directives found")
	}
	return words
}

// sdotRE matches the SDOT forms the kernels use.
var sdotRE = regexp.MustCompile(`^sdot v(\d+)\.4s, v(\d+)\.16b, v(\d+)\.(16b|4b\[(\d)\])$`)

// encodeSDOT encodes SDOT from the ARM Architecture Reference Manual:
// vector 0x4E809400 | Rm<<16 | Rn<<5 | Rd (.4S, .16B); by element
// 0x4F80E000 | L<<21 | M<<20 | Rm<<16 | H<<11 | Rn<<5 | Rd with the lane
// index H:L and the 5-bit register M:Rm.
func encodeSDOT(asm string) (uint32, bool) {
	m := sdotRE.FindStringSubmatch(asm)
	if m == nil {
		return 0, false
	}
	d, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	r, _ := strconv.Atoi(m[3])
	if m[4] == "16b" {
		return 0x4E809400 | uint32(r)<<16 | uint32(n)<<5 | uint32(d), true
	}
	lane, _ := strconv.Atoi(m[5])
	return 0x4F80E000 | uint32(lane&1)<<21 | uint32(r)<<16 | uint32(lane>>1)<<11 | uint32(n)<<5 | uint32(d), true
}

func TestSDOTEncodings(t *testing.T) {
	// The published anchor: SDOT v0.4s, v1.16b, v2.16b = 0x4E829420.
	if e, _ := encodeSDOT("sdot v0.4s, v1.16b, v2.16b"); e != 0x4E829420 {
		t.Fatalf("encodeSDOT(anchor) = %#x, want 0x4E829420", e)
	}
	n := 0
	for _, w := range kernelWords(t, matmulSources...) {
		if e, ok := encodeSDOT(w.asm); ok {
			n++
			if e != w.enc {
				t.Errorf("%s:%d: %s is %#08X, want %#08X", w.file, w.line, w.asm, w.enc, e)
			}
		}
	}
	t.Logf("%d SDOT words checked", n)
}

// TestWordsAssemble assembles every mnemonic with GNU as (skipped when
// aarch64-linux-gnu-as is not installed) and compares the encodings.
func TestWordsAssemble(t *testing.T) {
	as, err := exec.LookPath("aarch64-linux-gnu-as")
	if err != nil {
		t.Skip("aarch64-linux-gnu-as not installed")
	}
	objcopy, err := exec.LookPath("aarch64-linux-gnu-objcopy")
	if err != nil {
		t.Skip("aarch64-linux-gnu-objcopy not installed")
	}
	words := kernelWords(t, matmulSources...)
	dir := t.TempDir()
	var src bytes.Buffer
	src.WriteString(".arch armv8.6-a+dotprod+i8mm\n") // SMMLA is ARMv8.6 I8MM
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
	t.Logf("%d words checked against GNU as", len(words))
}
