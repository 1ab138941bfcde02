package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Plot geometry (SVG user units) and colours. Each series' bars get their
// own colour from BarColors (cycled), distinct from the text, grid and
// MarkerColor, so a screenshot can tell the plots apart by pixel colour.
const (
	PlotWidth   = 640
	PlotHeight  = 280
	plotLeft    = 64
	plotRight   = 16
	plotTop     = 14
	plotBottom  = 46
	MarkerColor = "#e41a1c"
	gridColor   = "#e4e4e4"
	axisColor   = "#444444"
)

// BarColors are the histogram bar fills, one per series in snapshot order.
var BarColors = []string{"#3b6fd8", "#2ca25f", "#8856a7", "#d95f0e", "#1c9099", "#c51b8a"}

// markers are the percentile lines drawn over each histogram.
var markers = []struct {
	label string
	get   func(*Series) Value
}{
	{"p50", func(s *Series) Value { return s.Median }},
	{"p90", func(s *Series) Value { return s.P90 }},
	{"p99", func(s *Series) Value { return s.P99 }},
}

// Plottable reports whether se has a histogram to draw: at least one
// bucket, finite edges, a non-empty range and a positive count.
func Plottable(se *Series) bool {
	if se.Count == 0 || len(se.Histogram) == 0 {
		return false
	}
	var n int64
	for _, b := range se.Histogram {
		if !finite(b.Lo) || !finite(b.Hi) || b.Hi < b.Lo || b.Count < 0 {
			return false
		}
		n += b.Count
	}
	return n > 0 && se.Histogram[len(se.Histogram)-1].Hi > se.Histogram[0].Lo
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// LogSpaced reports whether the bucket edges are log-spaced (the
// aggregator's histograms: a constant ratio hi/lo > 1 per bucket), so the
// x axis is drawn on a log scale.
func LogSpaced(h []Bucket) bool {
	if len(h) < 2 || h[0].Lo <= 0 {
		return false
	}
	r0 := h[0].Hi / h[0].Lo
	if r0 <= 1 {
		return false
	}
	for _, b := range h {
		if b.Lo <= 0 || math.Abs(b.Hi/b.Lo/r0-1) > 1e-6 {
			return false
		}
	}
	return true
}

// axis maps data values to SVG x coordinates.
type axis struct {
	lo, hi float64
	log    bool
	x0, x1 float64
}

func (a axis) pos(v float64) float64 {
	v = math.Min(math.Max(v, a.lo), a.hi)
	var f float64
	if a.log {
		f = (math.Log(v) - math.Log(a.lo)) / (math.Log(a.hi) - math.Log(a.lo))
	} else {
		f = (v - a.lo) / (a.hi - a.lo)
	}
	return a.x0 + f*(a.x1-a.x0)
}

// HistogramSVG draws se's histogram as an inline SVG element: bars from the
// snapshot's buckets (log-scale x when the edges are log-spaced), labelled
// axes with ticks, and the p50/p90/p99 markers. It returns "" when the
// series has nothing to plot.
func HistogramSVG(se *Series, barColor string) string {
	if !Plottable(se) {
		return ""
	}
	h := se.Histogram
	ax := axis{lo: h[0].Lo, hi: h[len(h)-1].Hi, log: LogSpaced(h), x0: plotLeft, x1: PlotWidth - plotRight}
	var maxCount int64
	for _, b := range h {
		maxCount = max(maxCount, b.Count)
	}
	yStep := niceStep(float64(maxCount) / 5)
	if yStep < 1 {
		yStep = 1
	}
	yMax := math.Ceil(float64(maxCount)*1.08/yStep) * yStep
	yBase, yTop := float64(PlotHeight-plotBottom), float64(plotTop)
	ypos := func(c float64) float64 { return yBase - c/yMax*(yBase-yTop) }

	var b strings.Builder
	unit := se.Unit
	scale := "linear scale"
	if ax.log {
		scale = "log scale"
	}
	fmt.Fprintf(&b, `<svg class="hist" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		PlotWidth, PlotHeight, PlotWidth, PlotHeight, esc("histogram of "+se.Name))
	b.WriteString("\n")
	// Horizontal grid and y ticks.
	for c := 0.0; c <= yMax+yStep/2; c += yStep {
		y := ypos(c)
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s"/>`, plotLeft, f1(y), PlotWidth-plotRight, f1(y), gridColor)
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", plotLeft-6, f1(y+4), countLabel(c))
	}
	// Bars.
	for _, bk := range h {
		if bk.Count == 0 {
			continue
		}
		x0, x1 := ax.pos(bk.Lo), ax.pos(bk.Hi)
		if x1-x0 > 3 {
			x0, x1 = x0+0.5, x1-0.5
		}
		w := math.Max(x1-x0, 1)
		y := ypos(float64(bk.Count))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>[%s, %s) %s: %d</title></rect>`+"\n",
			f1(x0), f1(y), f1(w), f1(math.Max(yBase-y, 0.5)), barColor,
			esc(tickLabel(bk.Lo)), esc(tickLabel(bk.Hi)), esc(unit), bk.Count)
	}
	// X axis, ticks and labels.
	fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s"/>`, plotLeft, f1(yBase), PlotWidth-plotRight, f1(yBase), axisColor)
	fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s"/>`+"\n", plotLeft, f1(yTop), plotLeft, f1(yBase), axisColor)
	for _, t := range xTicks(ax) {
		x := ax.pos(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, f1(x), f1(yBase), f1(x), f1(yBase+4), axisColor)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", f1(x), f1(yBase+16), tickLabel(t))
	}
	xLabel := se.Label
	if unit != "" {
		xLabel += " (" + unit + ")"
	}
	fmt.Fprintf(&b, `<text class="axis" x="%s" y="%d" text-anchor="middle">%s, %s</text>`+"\n",
		f1((ax.x0+ax.x1)/2), PlotHeight-8, esc(xLabel), scale)
	fmt.Fprintf(&b, `<text class="axis" transform="translate(14 %s) rotate(-90)" text-anchor="middle">count</text>`+"\n", f1((yTop+yBase)/2))
	// Percentile markers, labels on separate rows so they never overlap.
	for i, m := range markers {
		v := m.get(se)
		if !v.OK() {
			continue
		}
		x := ax.pos(float64(v))
		fmt.Fprintf(&b, `<line class="marker" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="5 3" shape-rendering="crispEdges"/>`,
			f1(x), f1(yTop), f1(x), f1(yBase), MarkerColor)
		anchor, dx := "start", 3.0
		if x > ax.x1-90 {
			anchor, dx = "end", -3
		}
		fmt.Fprintf(&b, `<text class="marker" x="%s" y="%s" text-anchor="%s" fill="%s" stroke="#fff" stroke-width="3" paint-order="stroke">%s %s</text>`+"\n",
			f1(x+dx), f1(yTop+11+12*float64(i)), anchor, MarkerColor, m.label, esc(FormatValue(v, unit)))
	}
	b.WriteString("</svg>")
	return b.String()
}

// xTicks are 1-2-5 ticks per decade on a log axis (fewer when they would
// crowd), or nice linear ticks; a log axis spanning less than a few ticks
// falls back to linear ticks placed on the log scale.
func xTicks(a axis) []float64 {
	if a.log {
		for _, mults := range [][]float64{{1, 2, 5}, {1}} {
			var ts []float64
			for k := math.Floor(math.Log10(a.lo)); k <= math.Ceil(math.Log10(a.hi)); k++ {
				for _, m := range mults {
					v := m * math.Pow(10, k)
					if v >= a.lo*(1-1e-9) && v <= a.hi*(1+1e-9) {
						ts = append(ts, v)
					}
				}
			}
			if len(ts) > 10 {
				continue
			}
			if len(ts) >= 3 {
				return ts
			}
			break
		}
	}
	step := niceStep((a.hi - a.lo) / 5)
	var ts []float64
	for i := math.Ceil(a.lo / step); i*step <= a.hi*(1+1e-9); i++ {
		ts = append(ts, i*step)
	}
	return ts
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 || !finite(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// tickLabel prints a tick value compactly: plain digits for ordinary
// magnitudes, rounded to 10 significant digits so float noise (0.30000000000000004)
// does not show; exponent form for very large or small values.
func tickLabel(v float64) string {
	a := math.Abs(v)
	if v != 0 && (a >= 1e7 || a < 1e-3) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 10, 64), 64)
	if a >= 100 {
		return strconv.FormatFloat(math.Round(r*100)/100, 'f', -1, 64)
	}
	return strconv.FormatFloat(r, 'g', 4, 64)
}

// countLabel prints a count tick compactly: 950, 15k, 1.2M.
func countLabel(c float64) string {
	switch {
	case c >= 1e9:
		return tickLabel(c/1e9) + "G"
	case c >= 1e6:
		return tickLabel(c/1e6) + "M"
	case c >= 1e4:
		return tickLabel(c/1e3) + "k"
	}
	return tickLabel(c)
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string { return html.EscapeString(s) }
