package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/quamba/quamba/formats"
)

// printGGUF lists a GGUF file's metadata and tensors (for quamba artifacts:
// the recipe, the calibration summary, every quantized tensor and scale).
func printGGUF(out io.Writer, path string, tensors bool) error {
	g, err := formats.OpenGGUF(path)
	if err != nil {
		return err
	}
	defer g.Close()
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "path\t%s\n", path)
	fmt.Fprintf(w, "format\tGGUF v%d, %d-byte aligned, checksum verified\n", g.Version(), g.Alignment())
	for _, kv := range g.Metadata() {
		v := fmt.Sprint(kv.Value)
		if s, ok := kv.Value.(string); ok && strings.Contains(s, "\n") {
			v = fmt.Sprintf("(%d lines of text)", strings.Count(s, "\n")+1)
		}
		if len(v) > 120 {
			v = v[:117] + "..."
		}
		fmt.Fprintf(w, "%s\t%s\n", kv.Key, v)
	}
	var bytes int64
	for _, t := range g.Tensors() {
		bytes += t.Size
	}
	fmt.Fprintf(w, "tensors\t%d (%s of data)\n", len(g.Tensors()), humanBytes(bytes))
	w.Flush()
	if tensors {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "\nname\ttype\tshape\tbytes")
		for _, t := range g.Tensors() {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%d\n", t.Name, t.Type, t.Shape, t.Size)
		}
		tw.Flush()
	}
	return nil
}

// ggufInspection is what inspect --json prints of a GGUF file.
type ggufInspection struct {
	Path      string `json:"path"`
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Alignment int    `json:"alignment"`
	// Config is a quamba artifact's model configuration
	// (quamba.config_json).
	Config      *configJSON    `json:"config,omitempty"`
	Metadata    map[string]any `json:"metadata"`
	TensorCount int            `json:"tensor_count"`
	TensorBytes int64          `json:"tensor_bytes"`
	Tensors     []tensorJSON   `json:"tensors,omitempty"`
}

func ggufJSON(out io.Writer, path string, tensors bool) error {
	g, err := formats.OpenGGUF(path)
	if err != nil {
		return err
	}
	defer g.Close()
	j := ggufInspection{Path: path, Format: "gguf", Version: int(g.Version()), Alignment: int(g.Alignment()),
		Metadata: map[string]any{}, TensorCount: len(g.Tensors())}
	for _, kv := range g.Metadata() {
		j.Metadata[kv.Key] = kv.Value
		if s, ok := kv.Value.(string); ok && kv.Key == "quamba.config_json" {
			cfg, err := formats.ParseConfig([]byte(s), path+": quamba.config_json")
			if err != nil {
				return err
			}
			j.Config = newConfigJSON(cfg)
		}
	}
	for _, t := range g.Tensors() {
		j.TensorBytes += t.Size
		if tensors {
			j.Tensors = append(j.Tensors, tensorJSON{Name: t.Name, Type: t.Type.String(), Shape: t.Shape, Bytes: t.Size})
		}
	}
	data, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%s: metadata as JSON: %w", path, err)
	}
	_, err = fmt.Fprintf(out, "%s\n", data)
	return err
}
