package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"testing"
)

// idsDigest is the SHA-256 of the ids written in decimal, comma-separated,
// as tools/reference/tokenizer_ref.py digest computes it.
func idsDigest(ids []int) string {
	b := make([]byte, 0, len(ids)*6)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Whole corpora from the shared data directory, encoded as one string each,
// against the independent Python reference:
//
//	python3 tools/reference/tokenizer_ref.py tokenizer/data/gpt-neox-20b/tokenizer.json \
//	    digest ../shared/data/text/wikitext2-test.txt ../shared/data/text/tinyshakespeare.txt
func TestCorpusDigests(t *testing.T) {
	cases := []struct {
		file   string
		tokens int
		sha256 string
	}{
		{"wikitext2-test.txt", 285831, "c318194fff916d218ae2d0e83aa1a548fe35759d159508a60b38dda1d92d9dc3"},
		{"tinyshakespeare.txt", 340240, "91d0f9aaf0f9117e3005733a17eadbb23e3a9328aaa7a49b9de4e5e84f7e61a6"},
	}
	tok := neox(t)
	checked := 0
	for _, c := range cases {
		path := "../../shared/data/text/" + c.file
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			t.Logf("skipping %s: absent", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ids := tok.Encode(string(data))
		if len(ids) != c.tokens || idsDigest(ids) != c.sha256 {
			t.Errorf("%s: %d tokens, digest %s; want %d, %s", c.file, len(ids), idsDigest(ids), c.tokens, c.sha256)
		}
		if got := tok.Decode(ids); got != string(data) {
			t.Errorf("%s: Decode(Encode(text)) differs from the text", c.file)
		}
	}
	if checked == 0 {
		t.Skip("../../shared/data/text is absent")
	}
}
