package main

import (
	"os"
	"strings"
	"testing"
)

// quamba completion prints a script for each shell that completes the
// command names.
func TestCompletionScripts(t *testing.T) {
	var names []string
	for _, cmd := range newApp().Commands {
		names = append(names, cmd.Name)
	}
	for shell, want := range map[string][]string{
		"bash": {"complete -o bashdefault -o default -o nospace -F _quamba_bash_autocomplete quamba", "--generate-bash-completion"},
		"zsh":  {"#compdef quamba", "compdef _quamba_zsh_autocomplete quamba", "--generate-bash-completion"},
		"fish": {"complete -c quamba", "-l model", "-l threads"},
	} {
		out, err := run(t, "completion", shell)
		if err != nil {
			t.Fatalf("completion %s: %v\n%s", shell, err, out)
		}
		for _, w := range append(want, names...) {
			if !strings.Contains(out, w) {
				t.Errorf("completion %s: the script lacks %q:\n%s", shell, w, out)
			}
		}
	}
	if _, err := run(t, "completion", "tcsh"); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "tcsh") {
		t.Errorf("completion tcsh: error %v, want a usage error naming the shell", err)
	}
}

// completeWith runs the app as a shell's completion script does: the
// library reads the words typed from os.Args.
func completeWith(t *testing.T, words ...string) []string {
	t.Helper()
	args := append(append([]string{"quamba"}, words...), "--generate-bash-completion")
	saved := os.Args
	os.Args = args
	defer func() { os.Args = saved }()
	out, _, err := runIO(t, "", args[1:]...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return strings.Fields(out)
}

// --generate-bash-completion lists the commands, and a command's flags.
func TestBashCompletionCandidates(t *testing.T) {
	got := strings.Join(completeWith(t), " ")
	for _, cmd := range newApp().Commands {
		if !strings.Contains(" "+got+" ", " "+cmd.Name+" ") {
			t.Errorf("command candidates %q lack %s", got, cmd.Name)
		}
	}
	flags := strings.Join(completeWith(t, "eval", "-"), " ")
	for _, f := range []string{"--model", "--text", "--json", "--threads"} {
		if !strings.Contains(" "+flags+" ", " "+f+" ") {
			t.Errorf("eval flag candidates %q lack %s", flags, f)
		}
	}
}

func TestHelpCommand(t *testing.T) {
	out, err := run(t, "help", "quantize")
	if err != nil || !strings.Contains(out, "--scheme") || !strings.Contains(out, "quamba quantize") {
		t.Errorf("help quantize: %v\n%s", err, out)
	}
	out, err = run(t, "help")
	if err != nil || !strings.Contains(out, "build-edge") {
		t.Errorf("help: %v\n%s", err, out)
	}
	if _, err := run(t, "help", "frobnicate"); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("help frobnicate: error %v, want a usage error naming it", err)
	}
}
