package report

import (
	"fmt"
	"image/color"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Plots writes the PNGs of Images under docsDir, those whose figure has data; it returns the ones written.
func Plots(docsDir string, r *Results) ([]string, error) {
	var written []string
	runs := append(append([]Run(nil), r.Overhead...), r.Native...)
	for _, pl := range []struct {
		path string
		make func() (*plot.Plot, bool, error)
	}{
		{Images.Wall, func() (*plot.Plot, bool, error) {
			return costPlot(runs, "Wall time against DAG size", "wall time (s)", func(r Run) time.Duration { return r.Wall }, true)
		}},
		{Images.CPU, func() (*plot.Plot, bool, error) {
			return costPlot(runs, "Operator CPU per run against DAG size", "operator CPU, user + system (s)",
				func(r Run) time.Duration { return r.OperatorCPU }, false)
		}},
		{Images.Lag, func() (*plot.Plot, bool, error) { return lagPlot(r.Lag) }},
	} {
		p, ok, err := pl.make()
		if err != nil {
			return written, fmt.Errorf("plotting %s: %w", pl.path, err)
		}
		if !ok {
			continue
		}
		if err := p.Save(7*vg.Inch, 4.5*vg.Inch, filepath.Join(docsDir, pl.path)); err != nil {
			return written, fmt.Errorf("writing %s: %w", pl.path, err)
		}
		written = append(written, pl.path)
	}
	return written, nil
}

// costPlot draws y(run) against actions, one line per mode and kind, on log-log axes. withArgo includes the
// Argo-alone runs (the operator CPU of those is the idle operator's, not worth a line).
func costPlot(runs []Run, title, ylabel string, y func(Run) time.Duration, withArgo bool) (*plot.Plot, bool, error) {
	type key struct {
		mode Mode
		kind string
	}
	// One point per size: the median of the runs of that size (figure 1 may run a size several times).
	values := map[key]map[int][]time.Duration{}
	var order []key
	for _, r := range runs {
		if !r.OK || (r.Mode == ArgoAlone && !withArgo) || y(r) <= 0 {
			continue
		}
		k := key{r.Mode, r.Shape.Kind}
		if _, ok := values[k]; !ok {
			order = append(order, k)
			values[k] = map[int][]time.Duration{}
		}
		values[k][r.Shape.Actions] = append(values[k][r.Shape.Actions], y(r))
	}
	if len(order) == 0 {
		return nil, false, nil
	}
	series := map[key]plotter.XYs{}
	for _, k := range order {
		sizes := slices.Sorted(maps.Keys(values[k]))
		for _, n := range sizes {
			series[k] = append(series[k], plotter.XY{X: float64(n), Y: Percentile(values[k][n], 50).Seconds()})
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "actions in the DAG (median of the runs of each size)"
	p.Y.Label.Text = ylabel
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = logTicks{}, logTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	var args []any
	for _, k := range order {
		args = append(args, fmt.Sprintf("%s, %s", modeLabel(k.mode), k.kind), series[k])
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return nil, false, err
	}
	// Room around the points, so none sits on an axis or under the legend.
	p.X.Min, p.X.Max = p.X.Min/1.5, p.X.Max*1.5
	p.Y.Min, p.Y.Max = p.Y.Min/2, p.Y.Max*4
	return p, true, nil
}

func modeLabel(m Mode) string {
	switch m {
	case ArgoAlone:
		return "Argo alone"
	case ThroughOperator:
		return "operator on Argo"
	}
	return "native engine"
}

// lagPlot draws the distribution function of the status lag of every batch, with the p99 target.
func lagPlot(batches []LagBatch) (*plot.Plot, bool, error) {
	p := plot.New()
	p.Title.Text = "Status lag: node change to execution status"
	p.X.Label.Text = "lag (ms)"
	p.Y.Label.Text = "fraction of node changes at or below"
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	var args []any
	xmax := float64(TargetLagP99.Milliseconds())
	for _, b := range batches {
		if len(b.Lags) == 0 {
			continue
		}
		xs, fs := CDF(b.Lags)
		pts := make(plotter.XYs, len(xs))
		for i := range xs {
			pts[i] = plotter.XY{X: float64(xs[i].Microseconds()) / 1000, Y: fs[i]}
			xmax = max(xmax, pts[i].X)
		}
		args = append(args, fmt.Sprintf("%d concurrent (%d changes)", b.Concurrency, len(xs)), pts)
	}
	if len(args) == 0 {
		return nil, false, nil
	}
	if err := plotutil.AddLines(p, args...); err != nil {
		return nil, false, err
	}
	target, err := plotter.NewLine(plotter.XYs{{X: float64(TargetLagP99.Milliseconds()), Y: 0}, {X: float64(TargetLagP99.Milliseconds()), Y: 1}})
	if err != nil {
		return nil, false, err
	}
	target.Color = color.RGBA{R: 200, A: 255}
	target.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(target)
	p.Legend.Add(fmt.Sprintf("p99 target (%d ms)", TargetLagP99.Milliseconds()), target)
	p.X.Min, p.X.Max = 0, xmax*1.05
	return p, true, nil
}

// logTicks labels 1, 2 and 5 of every decade (plot.LogTicks labels only the powers of ten, too few for a plot
// spanning one or two decades) and marks the other integers of the decade.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for k := math.Floor(math.Log10(lo)); math.Pow(10, k) <= hi; k++ {
		decade := math.Pow(10, k)
		for m := 1.0; m < 10; m++ {
			v := m * decade
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}
