package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// stderrOf is the app's stderr, where progress and information go so that
// stdout carries only the result.
func stderrOf(c *cli.Context) io.Writer {
	if c.App.ErrWriter != nil {
		return c.App.ErrWriter
	}
	return os.Stderr
}

// barsOn reports whether progress bars are drawn: stderr is a terminal and
// --quiet is not set.
func barsOn(c *cli.Context, quiet bool) bool {
	f, ok := stderrOf(c).(*os.File)
	return !quiet && ok && term.IsTerminal(int(f.Fd()))
}

// newBar is a progress bar of total steps on stderr, cleared when finished.
func newBar(c *cli.Context, total int, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(stderrOf(c)),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish())
}
