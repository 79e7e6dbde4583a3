package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// The bash and zsh scripts follow urfave/cli v2's
// autocomplete/bash_autocomplete and autocomplete/zsh_autocomplete, with the
// program name filled in (and, for bash, no need of the bash-completion
// package): they ask the binary for the candidates with
// --generate-bash-completion.
const bashCompletion = `# bash completion for %[1]s; load it with: source <(%[1]s completion bash)
_%[1]s_bash_autocomplete() {
  local cur words cword opts
  COMPREPLY=()
  if declare -F _init_completion >/dev/null 2>&1; then
    _init_completion -n "=:" || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur="${COMP_WORDS[COMP_CWORD]}"
  fi
  words=("${words[@]:0:$cword}")
  if [[ "$cur" == "-"* ]]; then
    opts=$(eval "${words[*]} ${cur} --generate-bash-completion" 2>/dev/null)
  else
    opts=$(eval "${words[*]} --generate-bash-completion" 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -o nospace -F _%[1]s_bash_autocomplete %[1]s
# commands: %[2]s
`

const zshCompletion = `#compdef %[1]s
# zsh completion for %[1]s; load it with: source <(%[1]s completion zsh)
_%[1]s_zsh_autocomplete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _%[1]s_zsh_autocomplete %[1]s
# commands: %[2]s
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "bash: source <(quamba completion bash), or save it in /etc/bash_completion.d/quamba\n" +
			"zsh:  source <(quamba completion zsh), or save it as _quamba in a directory of $fpath\n" +
			"fish: quamba completion fish > ~/.config/fish/completions/quamba.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("completion takes one shell, bash, zsh or fish; got %d arguments %q", c.NArg(), c.Args().Slice())
			}
			script, err := completionScript(c.App, c.Args().First())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(c.App.Writer, script)
			return err
		},
	}
}

// completionScript is the completion script of app for shell.
func completionScript(app *cli.App, shell string) (string, error) {
	var names []string
	for _, cmd := range app.Commands {
		if !cmd.Hidden {
			names = append(names, cmd.Name)
		}
	}
	switch shell {
	case "bash":
		return fmt.Sprintf(bashCompletion, app.Name, strings.Join(names, " ")), nil
	case "zsh":
		return fmt.Sprintf(zshCompletion, app.Name, strings.Join(names, " ")), nil
	case "fish":
		s, err := app.ToFishCompletion()
		if err != nil {
			return "", fmt.Errorf("fish completion: %w", err)
		}
		return s, nil
	}
	return "", usageErrorf("completion: unknown shell %q; want bash, zsh or fish", shell)
}

// helpCommand is quamba help [COMMAND]: the list of commands, or one
// command's usage and flags.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the commands, or the usage and flags of one",
		ArgsUsage: "[COMMAND]",
		// Else the library gives this command a help subcommand, and looks
		// COMMAND up among the subcommands.
		HideHelpCommand: true,
		Action: func(c *cli.Context) error {
			switch c.NArg() {
			case 0:
				return cli.ShowAppHelp(c)
			case 1:
				name := c.Args().First()
				if c.App.Command(name) == nil {
					return usageErrorf("help: unknown command %q; run 'quamba --help' for the list", name)
				}
				return cli.ShowCommandHelp(c, name)
			}
			return usageErrorf("help takes one command, got %d arguments %q", c.NArg(), c.Args().Slice())
		},
	}
}
