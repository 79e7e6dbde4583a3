//go:build unix

package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/quant"
)

// Open refuses at once a path that is not a regular file: a directory, a
// FIFO (opening one blocks until a writer comes), /dev/zero (never ends),
// a symlink to one of them; a symlink to an artifact opens.
func TestOpenNotRegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.gguf")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_RDWR|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	link := filepath.Join(dir, "zero.gguf")
	paths := map[string]string{dir: "a directory", fifo: "a named pipe"}
	if err := os.Symlink("/dev/zero", link); err == nil {
		paths[link] = "a character device"
	}
	for p, kind := range paths {
		done := make(chan error, 1)
		go func() {
			m, err := Open(p, Options{})
			if err == nil {
				m.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not a regular file ("+kind+")") {
				t.Errorf("Open(%s): %v, want an error naming it %s", p, err, kind)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Open(%s) still running after 5s", p)
		}
	}
	b := tinyArtifact(t, formats.Mamba1, quant.W8A8)
	real := filepath.Join(dir, "real.gguf")
	if err := os.WriteFile(real, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "sym.gguf")
	if err := os.Symlink(real, sym); err != nil {
		t.Fatal(err)
	}
	m, err := Open(sym, Options{})
	if err != nil {
		t.Fatalf("a symlink to an artifact: %v", err)
	}
	m.Close()
}
