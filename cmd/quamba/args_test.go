package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every command refuses a stray argument, placed before or after its
// flags, with a one-line usage error naming it (exit status 2), and parses
// flags given after its positional arguments.
func TestArgumentsEveryCommand(t *testing.T) {
	dir := t.TempDir()
	m1 := modelPath(t, "mamba1-shakespeare")
	// The flags each command needs to get past its checks of the command
	// line; no command runs: the stray argument stops each first.
	needs := map[string][]string{
		"eval": {"--quiet"}, "generate": {"--max-tokens", "1"}, "bench": {"--runs", "1"}, "inspect": {"--json", m1},
		"init": {"--arch", "mamba-130m", "--out", filepath.Join(dir, "init")}, "quantize": {"--no-eval"},
		"report": {"--out", dir}, "build-edge": {"--model", "m.gguf", "--out", filepath.Join(dir, "bin")},
		"serve": {"--model", "m.gguf"}, "completion": {"bash"}, "help": {"eval"},
	}
	for _, cmd := range newApp().Commands {
		args, ok := needs[cmd.Name]
		if !ok {
			t.Errorf("%s: not covered by this test", cmd.Name)
			continue
		}
		for _, line := range [][]string{
			append(append([]string{cmd.Name}, args...), "stray"),
			append([]string{cmd.Name, "stray"}, args...),
		} {
			out, err := run(t, line...)
			if err == nil {
				t.Errorf("%q: the stray argument was accepted\n%s", line, out)
				continue
			}
			if exitCode(err) != 2 || !strings.Contains(err.Error(), "stray") || strings.Contains(err.Error(), "\n") || out != "" {
				t.Errorf("%q: exit status %d, error %q, output %q; want a one-line usage error naming the stray argument",
					line, exitCode(err), err, out)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "init")); err == nil {
		t.Error("init ran despite the stray argument")
	}

	// Flags after the positional arguments.
	out, err := run(t, "inspect", m1, "--tensors=false")
	if err != nil || strings.Contains(out, "in_proj.weight") || !strings.Contains(out, "d_model") {
		t.Errorf("inspect DIR --tensors=false: %v\n%s", err, out)
	}
	out, err = run(t, "completion", "fish", "--help")
	if err != nil || !strings.Contains(out, "bash|zsh|fish") {
		t.Errorf("completion fish --help: %v\n%s", err, out)
	}
	// After --, arguments are positional even when they look like flags.
	if _, err := run(t, "inspect", "--", "--json"); err == nil || !strings.Contains(err.Error(), "--json") {
		t.Errorf("inspect -- --json: error %v, want one about the path --json", err)
	}
}

// A missing required flag is a one-line usage error without the help.
func TestRequiredFlags(t *testing.T) {
	for _, tc := range [][]string{{"init", "--arch", "mamba-130m"}, {"build-edge", "--out", "x"}, {"serve"}} {
		out, err := run(t, tc...)
		if err == nil || exitCode(err) != 2 || strings.Contains(err.Error(), "\n") || out != "" {
			t.Errorf("%q: exit status %d, error %v, output %q; want a one-line usage error", tc, exitCode(err), err, out)
		}
	}
}

func TestWithFlagsFirst(t *testing.T) {
	app := newApp()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"quamba", "inspect", "DIR", "--json"}, []string{"quamba", "inspect", "--json", "--", "DIR"}},
		{[]string{"quamba", "eval", "--text", "-", "x", "-q"}, []string{"quamba", "eval", "--text", "-", "-q", "--", "x"}},
		{[]string{"quamba", "generate", "-t", "-1"}, []string{"quamba", "generate", "-t", "-1"}},
		{[]string{"quamba", "inspect", "a", "--", "-b"}, []string{"quamba", "inspect", "--", "a", "-b"}},
		{[]string{"quamba", "--version"}, []string{"quamba", "--version"}},
		{[]string{"quamba", "nosuch", "x", "--y"}, []string{"quamba", "nosuch", "x", "--y"}},
		{[]string{"quamba", "inspect", "a", "--generate-bash-completion"}, []string{"quamba", "inspect", "a", "--generate-bash-completion"}},
	} {
		if got := withFlagsFirst(app, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("withFlagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
