package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/urfave/cli/v2"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "write a randomly initialised checkpoint of a real model's shapes, for speed and memory measurements",
		Description: "The checkpoint uses the standard Mamba initialisation and the official state-spaces layout\n" +
			"(config.json + pytorch_model.bin). Architectures: " + strings.Join(model.PresetNames(), ", ") + ".",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "arch", Required: true, Usage: "architecture: " + strings.Join(model.PresetNames(), ", ")},
			&cli.StringFlag{Name: "out", Required: true, Usage: "output directory"},
			&cli.Int64Flag{Name: "seed", Value: 0, Usage: "random seed"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar (it is only drawn on a terminal)"},
		},
		Action: runInit,
	}
}

func runInit(c *cli.Context) error {
	cfg, err := model.Preset(c.String("arch"))
	if err != nil {
		return err
	}
	init, err := model.RandomTensors(cfg, c.Int64("seed"))
	if err != nil {
		return err
	}
	// Each tensor is generated when the writer reaches it and dropped once
	// written, so memory stays around the largest tensor.
	shapes := cfg.TensorShapes()
	dir := c.String("out")
	params := cfg.ParamCount()
	start := time.Now()
	logf(c, "init: writing %d tensors of %s (%s parameters, %s of float32) to %s ...",
		len(shapes), c.String("arch"), humanCount(params), humanBytes(4*params), dir)
	var bar *progressbar.ProgressBar
	if barsOn(c, c.Bool("quiet")) {
		bar = newBar(c, len(shapes), "tensors")
	}
	err = formats.WriteModelFrom(dir, cfg, nil, func(name string) (formats.TensorData, error) {
		if err := c.Context.Err(); err != nil {
			return formats.TensorData{}, err
		}
		data, err := init.Tensor(name, shapes[name]...)
		if bar != nil {
			_ = bar.Add(1)
		}
		return formats.Float32Tensor(data, shapes[name]...), err
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s: %s, %s parameters (%s of float32) in %s\n",
		dir, c.String("arch"), humanCount(params), humanBytes(4*params), time.Since(start).Round(time.Millisecond))
	return nil
}
