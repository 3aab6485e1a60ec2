package benchkit

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// Series is one line of a chart: a value per step of the x axis (a second),
// NaN where there was nothing to measure (the line breaks there).
type Series struct {
	Name   string
	Values []float64
}

// Panel is one chart of a figure: its series share the y axis.
type Panel struct {
	Title  string
	Unit   string
	Series []Series
}

// Chart geometry, in SVG user units.
const (
	chartWidth   = 960
	panelHeight  = 220
	marginLeft   = 70
	marginRight  = 20
	marginTop    = 40
	panelGap     = 50
	gridLines    = 5
	titleHeight  = 30
	legendOffset = 16
)

// palette colours the series of a panel in turn.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// WriteChart writes the panels one above the other as an SVG document with
// a shared x axis labelled xLabel (one step per value).
func WriteChart(w io.Writer, title, xLabel string, panels []Panel) error {
	bw := bufio.NewWriter(w)
	height := titleHeight + len(panels)*(panelHeight+panelGap) + marginTop
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(bw, `<text x="%d" y="22" font-size="16" font-weight="bold">%s</text>`+"\n", marginLeft, esc(title))
	for i, p := range panels {
		top := titleHeight + marginTop + i*(panelHeight+panelGap)
		writePanel(bw, p, top, xLabel)
	}
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

// writePanel draws one panel whose plot area starts at top.
func writePanel(w io.Writer, p Panel, top int, xLabel string) {
	steps, ymax := 0, 0.0
	for _, s := range p.Series {
		steps = max(steps, len(s.Values))
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				ymax = max(ymax, v)
			}
		}
	}
	ymax = niceCeil(ymax)
	plotW := chartWidth - marginLeft - marginRight
	x := func(i int) float64 { return marginLeft + float64(i)*float64(plotW)/float64(max(steps-1, 1)) }
	y := func(v float64) float64 { return float64(top+panelHeight) - v/ymax*panelHeight }
	fmt.Fprintf(w, `<g class="panel"><text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", marginLeft, top-10, esc(p.Title+" ("+p.Unit+")"))
	for g := 0; g <= gridLines; g++ {
		v := ymax * float64(g) / gridLines
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			marginLeft, y(v), chartWidth-marginRight, y(v), marginLeft-6, y(v)+4, esc(label(v)))
	}
	tick := max(1, niceCeil(float64(steps)/10))
	for i := 0; i < steps; i += int(tick) {
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(i), top+panelHeight+16, i)
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", chartWidth-marginRight, top+panelHeight+32, esc(xLabel))
	for k, s := range p.Series {
		colour := palette[k%len(palette)]
		for _, seg := range segments(s.Values) {
			var pts strings.Builder
			for _, i := range seg {
				fmt.Fprintf(&pts, "%.1f,%.1f ", x(i), y(s.Values[i]))
			}
			fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", colour, strings.TrimSpace(pts.String()))
		}
		lx := marginLeft + 10 + k*170
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="12" height="3" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			lx, top+legendOffset-12, colour, lx+16, top+legendOffset-8, esc(s.Name))
	}
	fmt.Fprintln(w, `</g>`)
}

// segments splits a series' indexes into runs without NaN.
func segments(vs []float64) [][]int {
	var out [][]int
	var cur []int
	for i, v := range vs {
		if math.IsNaN(v) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, i)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for v ≤ 0).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func label(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
