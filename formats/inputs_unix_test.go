//go:build unix

package formats

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// within fails the test when f does not return within d (a reader blocked
// on a FIFO or reading a device forever).
func within(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
		return nil
	}
}

// A FIFO or a device where a file is expected is refused at once, before
// anything opens it (opening a FIFO blocks until a writer comes; /dev/zero
// never ends), as the file itself and as a model directory's config.json
// or weight file; a symlink to one is refused the same.
func TestFIFOAndDeviceWhereFileExpected(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	// Unblock a reader stuck on the FIFO when the test ends.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_RDWR|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	paths := map[string]string{fifo: "a named pipe"}
	if st, err := os.Stat("/dev/zero"); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		paths["/dev/zero"] = "a character device"
		link := filepath.Join(dir, "zero-link")
		if err := os.Symlink("/dev/zero", link); err == nil {
			paths[link] = "a character device"
		}
	}
	for p, kind := range paths {
		for _, o := range openers {
			err := within(t, 5*time.Second, o.name+"("+p+")", func() error { return o.open(p) })
			wantErr(t, err, p, "not a regular file ("+kind+")")
		}
	}
	for _, name := range []string{ConfigFile, PyTorchFile} {
		for p, kind := range paths {
			model := tinyModelCopy(t, "tiny-mamba2-ss")
			target := filepath.Join(model, name)
			os.Remove(target)
			if err := os.Symlink(p, target); err != nil {
				t.Fatal(err)
			}
			err := within(t, 5*time.Second, "OpenModel with "+name+" -> "+p, func() error { return closeIf(OpenModel(model)) })
			wantErr(t, err, target, "not a regular file ("+kind+")")
		}
	}
}
