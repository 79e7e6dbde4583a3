package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

// stdinName is the path that stands for the standard input wherever a text
// file is expected.
const stdinName = "-"

// stdinUsedKey marks, in the app's Metadata, the flag that has read the
// standard input: it can be read only once per run.
const stdinUsedKey = "quamba.stdin-used-by"

// openInput opens the text file a flag names, or the standard input (the
// app's Reader) when the path is "-". The standard input can be claimed by
// one flag of a run only.
func openInput(c *cli.Context, flag, path string) (io.ReadCloser, error) {
	if path != stdinName {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, fmt.Errorf("--%s %s is a directory, not a text file", flag, path)
		}
		return f, nil
	}
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	if by, ok := c.App.Metadata[stdinUsedKey].(string); ok {
		return nil, fmt.Errorf("--%s -: the standard input is already read by --%s", flag, by)
	}
	c.App.Metadata[stdinUsedKey] = flag
	r := c.App.Reader
	if r == nil {
		r = os.Stdin
	}
	return io.NopCloser(r), nil
}

// readInput reads the whole text file a flag names, or the standard input
// for "-".
func readInput(c *cli.Context, flag, path string) ([]byte, error) {
	r, err := openInput(c, flag, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("--%s %s: %w", flag, inputName(path), err)
	}
	return data, nil
}

// inputName is how messages name an input path.
func inputName(path string) string {
	if path == stdinName {
		return "- (standard input)"
	}
	return path
}

// spooled maps the inputs of a command to files for the packages that
// read text by path (calib, report): "-" is copied to a temporary file
// named stdin (stdin.jsonl when its first non-blank line is a JSON object)
// and every other path is kept.
type spooled struct {
	dir  string // temporary directory of the copy of the standard input, if any
	path string // the copy
}

// spool returns paths with "-" replaced by a temporary copy of the
// standard input; s.close removes the copy.
func (s *spooled) spool(c *cli.Context, flag string, paths []string) ([]string, error) {
	out := make([]string, len(paths))
	for i, p := range paths {
		if p != stdinName {
			out[i] = p
			continue
		}
		data, err := readInput(c, flag, p)
		if err != nil {
			return nil, err
		}
		if s.dir, err = os.MkdirTemp("", "quamba-stdin-"); err != nil {
			return nil, fmt.Errorf("--%s -: %w", flag, err)
		}
		name := "stdin"
		if looksLikeJSONL(data) {
			name += ".jsonl"
		}
		s.path = filepath.Join(s.dir, name)
		if err := os.WriteFile(s.path, data, 0o600); err != nil {
			return nil, fmt.Errorf("--%s -: copy of the standard input: %w", flag, err)
		}
		out[i] = s.path
	}
	return out, nil
}

// name is how a spooled path is shown: "-" for the copy of the standard
// input.
func (s *spooled) name(p string) string {
	if s.path != "" && p == s.path {
		return stdinName
	}
	return p
}

// err names the standard input instead of its temporary copy in an error.
func (s *spooled) err(err error) error {
	if err == nil || s.path == "" || !strings.Contains(err.Error(), s.path) {
		return err
	}
	return &renamedError{strings.ReplaceAll(err.Error(), s.path, inputName(stdinName)), err}
}

func (s *spooled) close() {
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// renamedError is an error with a reworded message that still unwraps to
// the original.
type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

// looksLikeJSONL reports whether the first non-blank line of data is a
// JSON object.
func looksLikeJSONL(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var obj map[string]any
		return line[0] == '{' && json.Unmarshal(line, &obj) == nil
	}
	return false
}
