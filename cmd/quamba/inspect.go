package main

import (
	"encoding/json"
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
			jsonFlag,
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("inspect takes exactly one PATH, got %d arguments %q", c.NArg(), c.Args().Slice())
			}
			path, tensors, asJSON := c.Args().First(), c.Bool("tensors"), c.Bool(jsonFlag.Name)
			if strings.HasSuffix(strings.ToLower(path), ".gguf") {
				if asJSON {
					return ggufJSON(c.App.Writer, path, tensors)
				}
				return printGGUF(c.App.Writer, path, tensors)
			}
			in, err := formats.Inspect(path)
			if err != nil {
				return err
			}
			if asJSON {
				return inspectionJSON(c.App.Writer, in, tensors)
			}
			printInspection(c.App.Writer, in, tensors)
			return nil
		},
	}
}

// inspection is what inspect --json prints of a checkpoint.
type inspection struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	// Config is the model's configuration as quamba reads it (absent when
	// the path is a single weights file).
	Config         *configJSON       `json:"config,omitempty"`
	Parameters     int64             `json:"parameters,omitempty"`
	StoredElements int64             `json:"stored_elements"`
	StoredBytes    int64             `json:"stored_bytes"`
	DTypes         map[string]int64  `json:"dtypes"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	Tensors        []tensorJSON      `json:"tensors,omitempty"`
}

type tensorJSON struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Shape []int  `json:"shape"`
	Bytes int64  `json:"bytes,omitempty"`
}

// configJSON is the configuration inspect shows, as JSON.
type configJSON struct {
	Architecture  string `json:"architecture"`
	Convention    string `json:"convention"`
	DModel        int    `json:"d_model"`
	NLayer        int    `json:"n_layer"`
	DInner        int    `json:"d_inner"`
	Expand        int    `json:"expand"`
	DState        int    `json:"d_state"`
	DConv         int    `json:"d_conv"`
	DtRank        int    `json:"dt_rank,omitempty"`
	NHeads        int    `json:"n_heads,omitempty"`
	HeadDim       int    `json:"head_dim,omitempty"`
	NGroups       int    `json:"n_groups,omitempty"`
	VocabSize     int    `json:"vocab_size"`
	PaddedVocab   int    `json:"padded_vocab"`
	TieEmbeddings bool   `json:"tie_embeddings"`
	Parameters    int64  `json:"parameters"`
}

func newConfigJSON(cfg formats.Config) *configJSON {
	return &configJSON{Architecture: string(cfg.Arch), Convention: string(cfg.Convention), DModel: cfg.DModel,
		NLayer: cfg.NLayer, DInner: cfg.DInner, Expand: cfg.Expand, DState: cfg.DState, DConv: cfg.DConv,
		DtRank: cfg.DtRank, NHeads: cfg.NHeads, HeadDim: cfg.HeadDim, NGroups: cfg.NGroups, VocabSize: cfg.VocabSize,
		PaddedVocab: cfg.PaddedVocab, TieEmbeddings: cfg.TieEmbeddings, Parameters: cfg.ParamCount()}
}

func inspectionJSON(out io.Writer, in *formats.Inspection, tensors bool) error {
	j := inspection{Path: in.Path, Format: in.Format, StoredElements: in.Params, StoredBytes: in.Bytes,
		DTypes: map[string]int64{}, Metadata: in.Metadata}
	if in.Config != nil {
		j.Config, j.Parameters = newConfigJSON(*in.Config), in.Config.ParamCount()
	}
	for dt, n := range in.ByDType {
		j.DTypes[string(dt)] = n
	}
	if tensors {
		j.Tensors = []tensorJSON{}
		for _, t := range in.Tensors {
			j.Tensors = append(j.Tensors, tensorJSON{Name: t.Name, Type: string(t.DType), Shape: t.Shape})
		}
	}
	return json.NewEncoder(out).Encode(j)
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
