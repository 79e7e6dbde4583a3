package race

import (
	"runtime/debug"
	"testing"
)

// Enabled follows the build: the binary's build settings record -race.
func TestEnabled(t *testing.T) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build information")
	}
	race := false
	for _, s := range info.Settings {
		if s.Key == "-race" {
			race = s.Value == "true"
		}
	}
	t.Logf("build settings -race=%v, Enabled=%v", race, Enabled)
	if race != Enabled {
		t.Fatalf("Enabled is %v in a binary built with -race=%v", Enabled, race)
	}
}
