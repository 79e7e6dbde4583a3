package tokenizer

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"
)

type vectorFile struct {
	Vectors []struct {
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	} `json:"vectors"`
}

func neox(t testing.TB) *BPE {
	t.Helper()
	tok, err := GPTNeoX()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func checkVectors(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(data, &vf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(vf.Vectors) == 0 {
		t.Fatalf("%s: no vectors", path)
	}
	tok := neox(t)
	for _, v := range vf.Vectors {
		got := tok.Encode(v.Text)
		if !slices.Equal(got, v.IDs) {
			t.Errorf("Encode(%q)\n got %v\nwant %v", v.Text, got, v.IDs)
		}
		if want := nfc(v.Text); tok.Decode(v.IDs) != want {
			t.Errorf("Decode(%v) = %q, want %q", v.IDs, tok.Decode(v.IDs), want)
		}
	}
	return len(vf.Vectors)
}

// The public vectors, from the copy committed beside the embedded tokenizer.
func TestPublicVectors(t *testing.T) {
	checkVectors(t, "data/gpt-neox-20b/test_vectors.json")
}

// The same vectors from the shared data directory, when it is present.
func TestSharedVectors(t *testing.T) {
	const path = "../../shared/data/tokenizer/gpt-neox-20b/test_vectors.json"
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent; the committed copy is checked by TestPublicVectors", path)
	}
	checkVectors(t, path)
}
