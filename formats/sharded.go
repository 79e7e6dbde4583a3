package formats

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Index files of sharded checkpoints.
const (
	// PyTorchIndexFile lists the shards of a sharded pytorch_model.bin.
	PyTorchIndexFile = "pytorch_model.bin.index.json"
)

// sharded is a checkpoint split over several files named by an index's
// weight_map (model.safetensors.index.json or pytorch_model.bin.index.json).
type sharded struct {
	path   string // the index file
	format string
	shards []Checkpoint
	owner  map[string]Checkpoint
	names  []string
}

var _ Checkpoint = (*sharded)(nil)
var _ RawReader = (*sharded)(nil)

// OpenSafetensorsIndex opens a sharded safetensors model through its
// index file (model.safetensors.index.json). Every weight_map entry must be
// present in the named shard and every shard tensor must be listed there.
func OpenSafetensorsIndex(indexPath string) (Checkpoint, error) {
	return openIndex(indexPath, "safetensors (sharded)", func(p string) (Checkpoint, error) { return OpenSafetensors(p) })
}

// OpenPyTorchIndex opens a sharded PyTorch model through its index file
// (pytorch_model.bin.index.json), with the checks of OpenSafetensorsIndex.
func OpenPyTorchIndex(indexPath string) (Checkpoint, error) {
	return openIndex(indexPath, "pytorch (sharded)", func(p string) (Checkpoint, error) { return OpenPyTorch(p) })
}

func openIndex(indexPath, format string, open func(string) (Checkpoint, error)) (Checkpoint, error) {
	data, err := readRegular(indexPath, maxIndexBytes)
	if err != nil {
		return nil, fmt.Errorf("open shard index: %w", err)
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: invalid shard index: %w", indexPath, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("%s: shard index has no weight_map entries", indexPath)
	}
	dir := filepath.Dir(indexPath)
	c := &sharded{path: indexPath, format: format, owner: map[string]Checkpoint{}}
	byFile := map[string]Checkpoint{}
	fail := func(err error) (Checkpoint, error) {
		c.Close()
		return nil, err
	}
	for _, name := range sortedKeys(idx.WeightMap) {
		file := idx.WeightMap[name]
		if file == "" || file == "." || file == ".." || strings.ContainsAny(file, `/\`) {
			return fail(fmt.Errorf("%s: tensor %q: shard name %q must be a plain file name in the same directory", indexPath, name, file))
		}
		sh, ok := byFile[file]
		if !ok {
			sh, err = open(filepath.Join(dir, file))
			if err != nil {
				return fail(fmt.Errorf("%s: tensor %q: %w", indexPath, name, err))
			}
			byFile[file] = sh
			c.shards = append(c.shards, sh)
		}
		if _, ok := sh.Info(name); !ok {
			return fail(fmt.Errorf("%s: tensor %q: not found in shard %s", indexPath, name, sh.Path()))
		}
		c.owner[name] = sh
		c.names = append(c.names, name)
	}
	for _, sh := range c.shards {
		for _, name := range sh.Names() {
			if c.owner[name] != sh {
				return fail(fmt.Errorf("%s: tensor %q in shard %s is not mapped to that shard by the weight_map", indexPath, name, sh.Path()))
			}
		}
	}
	sort.Strings(c.names)
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *sharded) Path() string    { return c.path }
func (c *sharded) Names() []string { return append([]string(nil), c.names...) }

func (c *sharded) Info(name string) (TensorInfo, bool) {
	sh, ok := c.owner[name]
	if !ok {
		return TensorInfo{}, false
	}
	return sh.Info(name)
}

func (c *sharded) Float32(name string) ([]float32, []int, error) {
	sh, ok := c.owner[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s: tensor %q not found", c.path, name)
	}
	return sh.Float32(name)
}

func (c *sharded) Raw(name string) (TensorInfo, []byte, error) {
	sh, ok := c.owner[name]
	if !ok {
		return TensorInfo{}, nil, fmt.Errorf("%s: tensor %q not found", c.path, name)
	}
	return sh.(RawReader).Raw(name)
}

func (c *sharded) Close() error {
	var first error
	for _, sh := range c.shards {
		if err := sh.Close(); err != nil && first == nil {
			first = err
		}
	}
	c.shards = nil
	return first
}
