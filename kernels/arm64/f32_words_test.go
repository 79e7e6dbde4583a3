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

// The float32 kernels emit FMLA by element and vector FADD, which Go's
// assembler lacks, as WORD directives followed by their mnemonics. This test
// assembles every mnemonic of the f32*_arm64.s files with GNU as and compares
// the encodings, and checks the FMLA-by-element encodings against the
// formula of the ARM Architecture Reference Manual.

var f32WordRE = regexp.MustCompile(`WORD\s+\$0x([0-9A-Fa-f]{8})\s*//\s*(.+?)\s*$`)

type f32Word struct {
	file string
	line int
	enc  uint32
	asm  string
}

func f32Words(t *testing.T) []f32Word {
	files, err := filepath.Glob("f32*_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	var words []f32Word
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(src), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "WORD") {
				continue
			}
			m := f32WordRE.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("%s:%d: WORD without a mnemonic comment: %q", f, i+1, l)
				continue
			}
			v, _ := strconv.ParseUint(m[1], 16, 32)
			words = append(words, f32Word{f, i + 1, uint32(v), m[2]})
		}
	}
	if len(words) == 0 {
		t.Fatal("no WORD directives found in f32*_arm64.s")
	}
	return words
}

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
	for _, w := range f32Words(t) {
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

func TestF32WordsAssemble(t *testing.T) {
	as, err := exec.LookPath("aarch64-linux-gnu-as")
	if err != nil {
		t.Skip("aarch64-linux-gnu-as not installed")
	}
	objcopy, err := exec.LookPath("aarch64-linux-gnu-objcopy")
	if err != nil {
		t.Skip("aarch64-linux-gnu-objcopy not installed")
	}
	words := f32Words(t)
	dir := t.TempDir()
	var src bytes.Buffer
	src.WriteString(".arch armv8-a\n") // the kernels need no extension
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
			t.Errorf("%s:%d: %s is 0x%08X, GNU as says 0x%08X", w.file, w.line, w.asm, w.enc, e)
		}
	}
	t.Logf("%d words checked against GNU as", len(words))
}
