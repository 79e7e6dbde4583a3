package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/formats"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "architecture, tensor shapes, dtypes and parameter count of a checkpoint",
		ArgsUsage: "PATH (a model directory, a .safetensors file, a shard index, a pytorch_model.bin or a .gguf artifact)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "tensors", Value: true, Usage: "list every tensor"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("inspect takes exactly one PATH, got %d arguments", c.NArg())
			}
			if path := c.Args().First(); strings.HasSuffix(strings.ToLower(path), ".gguf") {
				return printGGUF(c.App.Writer, path, c.Bool("tensors"))
			}
			in, err := formats.Inspect(c.Args().First())
			if err != nil {
				return err
			}
			printInspection(c.App.Writer, in, c.Bool("tensors"))
			return nil
		},
	}
}

func printInspection(out io.Writer, in *formats.Inspection, tensors bool) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "path\t%s\n", in.Path)
	fmt.Fprintf(w, "format\t%s\n", in.Format)
	if cfg := in.Config; cfg != nil {
		fmt.Fprintf(w, "architecture\t%s (%s convention)\n", cfg.Arch, cfg.Convention)
		fmt.Fprintf(w, "d_model\t%d\n", cfg.DModel)
		fmt.Fprintf(w, "n_layer\t%d\n", cfg.NLayer)
		fmt.Fprintf(w, "d_inner\t%d (expand %d)\n", cfg.DInner, cfg.Expand)
		fmt.Fprintf(w, "d_state\t%d\n", cfg.DState)
		fmt.Fprintf(w, "d_conv\t%d\n", cfg.DConv)
		switch cfg.Arch {
		case formats.Mamba1:
			fmt.Fprintf(w, "dt_rank\t%d\n", cfg.DtRank)
		case formats.Mamba2:
			fmt.Fprintf(w, "heads\t%d x headdim %d\n", cfg.NHeads, cfg.HeadDim)
			fmt.Fprintf(w, "ngroups\t%d\n", cfg.NGroups)
		}
		fmt.Fprintf(w, "vocab\t%d (padded to %d)\n", cfg.VocabSize, cfg.PaddedVocab)
		fmt.Fprintf(w, "tied lm_head\t%v\n", cfg.TieEmbeddings)
	}
	if in.Config != nil {
		// A tied lm_head is stored twice by torch but is one set of parameters.
		n := in.Config.ParamCount()
		fmt.Fprintf(w, "parameters\t%s (%d)\n", humanCount(n), n)
		if in.Params != n {
			fmt.Fprintf(w, "stored elements\t%s (%d; shared tensors counted per name)\n", humanCount(in.Params), in.Params)
		}
	} else {
		fmt.Fprintf(w, "stored elements\t%s (%d)\n", humanCount(in.Params), in.Params)
	}
	fmt.Fprintf(w, "stored bytes\t%s\n", humanBytes(in.Bytes))
	dtypes := make([]string, 0, len(in.ByDType))
	for dt := range in.ByDType {
		dtypes = append(dtypes, string(dt))
	}
	sort.Strings(dtypes)
	for _, dt := range dtypes {
		fmt.Fprintf(w, "dtype %s\t%d elements\n", dt, in.ByDType[formats.DType(dt)])
	}
	w.Flush()
	if tensors {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "tensor\tdtype\tshape")
		for _, t := range in.Tensors {
			fmt.Fprintf(w, "%s\t%s\t%v\n", t.Name, t.DType, t.Shape)
		}
		w.Flush()
	}
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
