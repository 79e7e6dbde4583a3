package main

import (
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
