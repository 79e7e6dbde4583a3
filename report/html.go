package report

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	blue   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	orange = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	grey   = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
)

var (
	xmlDecl = regexp.MustCompile(`<\?xml[^>]*\?>\s*`)
	svgIDs  = regexp.MustCompile(`\b(id="|url\(#|href="#)([A-Za-z_][\w-]*)`)
)

// svg renders p as an inline SVG element; prefix keeps the element ids
// of several figures on one page apart.
func svg(p *plot.Plot, w, h vg.Length, prefix string) (string, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	s := xmlDecl.ReplaceAllString(b.String(), "")
	s = svgIDs.ReplaceAllString(s, "${1}"+prefix+"-${2}")
	return s, nil
}

// figPPL is perplexity (first evaluation set) against bits per weight.
func (r *Report) figPPL() (string, error) {
	p := plot.New()
	p.Title.Text = "Perplexity vs bits per weight (" + r.Eval[0].Name + ")"
	p.X.Label.Text = "bits per weight (file size, all parameters; log scale)"
	p.Y.Label.Text = "perplexity"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 4, Label: "4"}, {Value: 6, Label: "6"}, {Value: 8, Label: "8"},
		{Value: 12, Label: "12"}, {Value: 16, Label: "16"}, {Value: 24, Label: "24"}, {Value: 32, Label: "32"}}
	p.Add(plotter.NewGrid())
	var xys plotter.XYs
	var labels []string
	for _, s := range r.Schemes {
		if len(s.Perplexity) == 0 || !(s.BitsPerWeight > 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: s.BitsPerWeight, Y: s.Perplexity[0].PPL})
		labels = append(labels, s.Name)
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return "", err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = blue, vg.Points(4), draw.CircleGlyph{}
	p.Add(sc)
	// Neighbouring points (in bits per weight) get their labels above and
	// below in turn, so that clustered schemes stay legible.
	order := make([]int, len(xys))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return xys[order[a]].X < xys[order[b]].X })
	// Points that nearly coincide share one label.
	yr := 0.0
	for _, v := range xys {
		yr = max(yr, math.Abs(v.Y-xys[0].Y))
	}
	var merged []int
	for _, i := range order {
		if n := len(merged); n > 0 {
			j := merged[n-1]
			if math.Abs(math.Log(xys[i].X/xys[j].X)) < 0.03 && math.Abs(xys[i].Y-xys[j].Y) < 0.15*yr {
				labels[j] += " / " + labels[i]
				continue
			}
		}
		merged = append(merged, i)
	}
	order = merged
	for side := range 2 {
		var sxy plotter.XYs
		var sl []string
		for k, i := range order {
			if k%2 == side {
				sxy, sl = append(sxy, xys[i]), append(sl, labels[i])
			}
		}
		if len(sxy) == 0 {
			continue
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: sxy, Labels: sl})
		if err != nil {
			return "", err
		}
		lb.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(5)}
		if side == 1 {
			lb.Offset.Y = vg.Points(-5)
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].XAlign, lb.TextStyle[i].YAlign = draw.XLeft, []draw.YAlignment{draw.YBottom, draw.YTop}[side]
		}
		p.Add(lb)
	}
	p.X.Min, p.X.Max = 3.5, 40
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range xys {
		lo, hi = min(lo, v.Y), max(hi, v.Y)
	}
	pad := max((hi-lo)*0.15, hi*0.002)
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
	p.Y.Tick.Marker = precTicks{}
	return svg(p, 20*vg.Centimeter, 12*vg.Centimeter, "ppl")
}

// grid is an SQNR map as plotter.GridXYZ: columns are points, rows layers.
type grid struct{ s *SQNR }

func (g grid) Dims() (c, r int) { return len(g.s.Points), len(g.s.Layers) }
func (g grid) Z(c, r int) float64 {
	if v := g.s.DB[r][c]; v != nil {
		return *v
	}
	return math.NaN()
}
func (g grid) X(c int) float64 { return float64(c) }
func (g grid) Y(r int) float64 { return float64(r) }

// figSQNR is one scheme's SQNR map, on a colour scale shared by all schemes.
func figSQNR(s *Scheme, lo, hi float64, id string) (string, error) {
	q := s.SQNR
	cm := moreland.ExtendedBlackBody()
	cm.SetMin(lo)
	cm.SetMax(hi)
	hm := plotter.NewHeatMap(grid{q}, cm.Palette(64))
	hm.Min, hm.Max = lo, hi
	hm.NaN = grey
	p := plot.New()
	p.Title.Text = "Activation SQNR (dB): " + s.Name
	p.Add(hm)
	var xys plotter.XYs
	var labels []string
	var ticksX, ticksY []plot.Tick
	for j, pt := range q.Points {
		ticksX = append(ticksX, plot.Tick{Value: float64(j), Label: pt})
	}
	for i, l := range q.Layers {
		name := fmt.Sprintf("layer %d", l)
		if l < 0 {
			name = "lm_head"
		}
		ticksY = append(ticksY, plot.Tick{Value: float64(i), Label: name})
		for j := range q.Points {
			if v := q.DB[i][j]; v != nil {
				xys = append(xys, plotter.XY{X: float64(j), Y: float64(i)})
				labels = append(labels, fmt.Sprintf("%.1f", *v))
			} else {
				xys = append(xys, plotter.XY{X: float64(j), Y: float64(i)})
				labels = append(labels, "A16")
			}
		}
	}
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return "", err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].XAlign, lb.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		// Dark text on the bright (high SQNR) end of the scale.
		lb.TextStyle[i].Color = color.White
		if v := q.DB[int(xys[i].Y)][int(xys[i].X)]; v == nil || *v > lo+0.55*(hi-lo) {
			lb.TextStyle[i].Color = color.Black
		}
	}
	p.Add(lb)
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(ticksX), plot.ConstantTicks(ticksY)
	p.X.Min, p.X.Max = -0.5, float64(len(q.Points))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(q.Layers))-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(8), vg.Points(9)
	return svg(p, 22*vg.Centimeter, vg.Length(2.6+0.9*float64(len(q.Layers)))*vg.Centimeter, id)
}

// figHadamard is the per-channel max |x| of the out_proj input before and
// after the Hadamard.
func (r *Report) figHadamard() (string, error) {
	h := r.Hadamard
	p := plot.New()
	p.Title.Text = fmt.Sprintf("out_proj input, layer %d: per-channel max |x| (FP32 engine)", h.Layer)
	p.X.Label.Text = "channel"
	p.Y.Label.Text = "max |x|"
	p.Add(plotter.NewGrid())
	for k, series := range []struct {
		name string
		v    []float64
		c    color.Color
	}{{"before the Hadamard", h.Before, orange}, {"after the Hadamard", h.After, blue}} {
		xys := make(plotter.XYs, len(series.v))
		for i, v := range series.v {
			xys[i] = plotter.XY{X: float64(i), Y: v}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return "", err
		}
		l.Color, l.Width = series.c, vg.Points(1+0.5*float64(k))
		p.Add(l)
		p.Legend.Add(series.name, l)
	}
	p.Legend.Top = true
	p.Y.Min = 0
	return svg(p, 18*vg.Centimeter, 9*vg.Centimeter, "had")
}

// figW4AX is the per-layer sensitivity of a W4AX search, the chosen A8
// layers in blue.
func figW4AX(s *Scheme, id string) (string, error) {
	x := s.W4AX
	n := len(x.Sensitivity)
	a8, a16 := make(plotter.Values, n), make(plotter.Values, n)
	for i, v := range x.Sensitivity {
		rel := 100 * v / x.LossA16
		chosen := false
		for _, l := range x.Chosen.Layers {
			chosen = chosen || l == i
		}
		if chosen {
			a8[i] = rel
		} else {
			a16[i] = rel
		}
	}
	p := plot.New()
	p.Title.Text = "W4AX: calibration-loss increase with only that layer A8 (%)"
	p.Y.Label.Text = "loss increase (%)"
	p.X.Label.Text = "layer"
	p.Add(plotter.NewGrid())
	w := vg.Points(math.Min(40, 300/float64(n)))
	for _, b := range []struct {
		name string
		v    plotter.Values
		c    color.Color
	}{{"A8 (chosen)", a8, blue}, {"A16", a16, orange}} {
		bc, err := plotter.NewBarChart(b.v, w)
		if err != nil {
			return "", err
		}
		bc.Color, bc.LineStyle.Width = b.c, 0
		p.Add(bc)
		p.Legend.Add(b.name, bc)
	}
	ticks := make([]plot.Tick, n)
	for i := range ticks {
		ticks[i] = plot.Tick{Value: float64(i), Label: fmt.Sprint(i)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Legend.Top, p.Legend.Left = true, true
	lo, hi := 0.0, 0.0
	for i := range a8 {
		lo, hi = min(lo, a8[i], a16[i]), max(hi, a8[i], a16[i])
	}
	p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+0.35*(hi-lo) // room for the legend
	return svg(p, 16*vg.Centimeter, 8*vg.Centimeter, id)
}

func (t table) html(w io.Writer) {
	fmt.Fprint(w, "<table><thead><tr>")
	for _, h := range t.head {
		fmt.Fprintf(w, "<th>%s</th>", cell(h))
	}
	fmt.Fprint(w, "</tr></thead><tbody>\n")
	for _, r := range t.rows {
		fmt.Fprint(w, "<tr>")
		for _, c := range r {
			fmt.Fprintf(w, "<td>%s</td>", cell(c))
		}
		fmt.Fprint(w, "</tr>\n")
	}
	fmt.Fprint(w, "</tbody></table>\n")
}

var (
	mdCode = regexp.MustCompile("`([^`]*)`")
	mdBold = regexp.MustCompile(`\*\*([^*]*)\*\*`)
)

// cell escapes a table cell, keeping its `code` and **bold**.
func cell(s string) string {
	s = html.EscapeString(s)
	s = mdCode.ReplaceAllString(s, "<code>$1</code>")
	return mdBold.ReplaceAllString(s, "<b>$1</b>")
}

const style = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:10px 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}code{background:#f3f3f3;padding:0 3px}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap}figure{margin:12px 0}figcaption{font-size:0.85em;color:#555}
ul{padding-left:20px}`

// WriteHTML renders r as a self-contained page (inline CSS and SVG).
func (r *Report) WriteHTML(w io.Writer) error {
	var b strings.Builder
	title := "Quantization report: " + lastPath(r.Model.Path)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head><body>\n",
		html.EscapeString(title), style)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p>%s, %s, d_model %d, %d layers, d_inner %d, vocabulary %d, %d parameters. Perplexity windows of %d tokens; "+
		"every quantized scheme runs on the int8 runtime, <code>fp</code> is the FP32 engine.", html.EscapeString(title),
		html.EscapeString(r.Model.Path), r.Model.Arch, r.Model.DModel, r.Model.NLayer, r.Model.DInner, r.Model.Vocab, r.Model.Params, r.Ctx)
	if r.Calib != nil {
		fmt.Fprintf(&b, " Calibration: %d samples x %d tokens from %s.", r.Calib.Samples, r.Calib.SeqLen, html.EscapeString(strings.Join(r.Calib.Files, ", ")))
	}
	for _, e := range r.Eval {
		fmt.Fprintf(&b, " Evaluation: <code>%s</code> (%d tokens).", html.EscapeString(e.Path), e.Tokens)
	}
	if r.Lambada != nil {
		fmt.Fprintf(&b, " LAMBADA: <code>%s</code>, first %d examples, greedy whole last word.", html.EscapeString(r.Lambada.Path), r.Lambada.Examples)
	}
	fmt.Fprint(&b, "</p>\n")
	r.mainTable().html(&b)
	fmt.Fprint(&b, "<h2>Verdicts</h2><ul>\n")
	for _, s := range r.Schemes {
		fmt.Fprintf(&b, "<li><code>%s</code>: %s</li>\n", html.EscapeString(s.Name), html.EscapeString(s.Verdict))
	}
	fmt.Fprint(&b, "</ul>\n")

	fig := func(svgText, caption string) {
		fmt.Fprintf(&b, "<figure>%s<figcaption>%s</figcaption></figure>\n", svgText, caption)
	}
	s, err := r.figPPL()
	if err != nil {
		return err
	}
	fmt.Fprint(&b, "<h2>Perplexity and size</h2>\n")
	fig(s, "Perplexity on "+html.EscapeString(r.Eval[0].Name)+" against the artifact's bits per weight (file size x 8 / parameters).")

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sc := range r.Schemes {
		if sc.SQNR == nil {
			continue
		}
		for _, row := range sc.SQNR.DB {
			for _, v := range row {
				if v != nil {
					lo, hi = min(lo, *v), max(hi, *v)
				}
			}
		}
	}
	if !math.IsInf(lo, 1) {
		fmt.Fprintf(&b, "<h2>Activation SQNR</h2>\n<p>Every quantized activation on the int8 runtime, as the kernels consume it, "+
			"against the FP32 engine over the same artifact's weights, on the first %d evaluation tokens: "+
			"10·log10(Σ ref² / Σ (ref − q)²). Colour scale %.1f–%.1f dB, shared by all schemes; grey cells are float (A16).</p>\n", r.probeTokens(), lo, hi)
		r.sqnrTable().html(&b)
		for i, sc := range r.Schemes {
			if sc.SQNR == nil {
				continue
			}
			s, err := figSQNR(&sc, math.Floor(lo), math.Ceil(hi), fmt.Sprintf("sqnr%d", i))
			if err != nil {
				return err
			}
			fig(s, "<code>"+html.EscapeString(sc.Name)+"</code>")
		}
	}
	if r.Hadamard != nil {
		s, err := r.figHadamard()
		if err != nil {
			return err
		}
		fmt.Fprint(&b, "<h2>Online Hadamard before out_proj</h2>\n")
		fig(s, html.EscapeString(r.hadamardSummary()))
	}
	for i, sc := range r.Schemes {
		if sc.W4AX == nil {
			continue
		}
		fmt.Fprintf(&b, "<h2>W4AX: per-layer activation precision (<code>%s</code>)</h2>\n", html.EscapeString(sc.Name))
		x := sc.W4AX
		rule := fmt.Sprintf("the most A8 layers whose summed predicted loss increase stays within %g (relative) of the all-A16 loss", x.Budget)
		if x.Count > 0 {
			rule = fmt.Sprintf("the %d least sensitive layers", x.Count)
		}
		fmt.Fprintf(&b, "<p>Sensitivity: the calibration-loss increase (mean next-token NLL on %d calibration samples, %d tokens, "+
			"through the simulation) with only that layer A8. Choice: %s. Proxy: the mix simulated on the all-A8 compile; "+
			"measured: the final compile.</p>\n", x.Samples, x.Tokens, html.EscapeString(rule))
		s, err := figW4AX(&sc, fmt.Sprintf("w4ax%d", i))
		if err != nil {
			return err
		}
		fig(s, "Chosen A8 layers: "+html.EscapeString(layerNames(x.Chosen.Layers)))
		lt, mt := w4axTables(&sc)
		lt.html(&b)
		mt.html(&b)
	}
	fmt.Fprint(&b, "<h2>Recipes</h2><ul>\n")
	for _, s := range r.Schemes {
		kinds := ""
		if len(s.Kinds) > 0 {
			kinds = " — projection stages: " + kindList(s.Kinds)
		}
		fmt.Fprintf(&b, "<li><code>%s</code>: %s%s</li>\n", html.EscapeString(s.Name), html.EscapeString(s.Recipe), html.EscapeString(kinds))
	}
	fmt.Fprint(&b, "</ul>\n")
	v := r.Versions
	fmt.Fprintf(&b, "<h2>Reproduce</h2><pre>%s</pre><p>%s, %s, artifact format %d, kernels %s, %s/%s, %d CPUs; created %s.</p>\n</body></html>\n",
		html.EscapeString(r.Command), html.EscapeString(v.Tool), html.EscapeString(v.Go), v.ArtifactFormat, html.EscapeString(v.Kernels),
		v.OS, v.Arch, v.CPUs, html.EscapeString(r.Created))
	_, err = io.WriteString(w, b.String())
	return err
}

func lastPath(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// precTicks are plot.DefaultTicks labelled with enough digits to tell
// neighbouring ticks apart.
type precTicks struct{}

func (precTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	step := hi - lo
	for i := 1; i < len(ts); i++ {
		if ts[i].Label != "" && ts[i-1].Label != "" {
			step = ts[i].Value - ts[i-1].Value
			break
		}
	}
	digits := max(0, int(math.Ceil(-math.Log10(step)))+1)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', digits, 64)
		}
	}
	return ts
}
