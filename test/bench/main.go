//go:build bench

// Command bench measures the operator on the real Argo workflow-controller and writes the results into
// docs/benchmarks.md with PNG plots (`make bench`; issue 16): the same DAGs straight on Argo and through a
// DRPlanExecution, status lag and API writes at 1 and 50 concurrent executions, 100 concurrent executions and
// a 1000-action workflow, and the native engine at the same shapes. test/stack runs the cluster (the real
// workflow-controller and argoexec, kwok as the kubelet); the operator is bin/manager as a subprocess.
//
// Build tag bench: `make test` does not run it; `go vet -tags bench ./test/bench/` compiles it. The sizes are
// flags (-scale multiplies them all for a quick run); the report states the sizes that ran.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/drplan/drplan-operator/test/bench/report"
	"github.com/drplan/drplan-operator/test/testenv"
)

type flags struct {
	sizes      []int
	depth      int
	httpDelay  time.Duration
	lagConc    []int
	lagSerial  int
	lagShape   int
	scaleExecs int
	scaleShape int
	big        int
	bigDepth   int
	scale      float64
	figures    []int
	out        string
	artifacts  string
	manager    string
	previous   string
	lifetime   time.Duration
	nativeOnly bool
	renderOnly bool
	rounds     int
	// maxWorkflowSize is the workflow-controller's MAX_WORKFLOW_SIZE (0: Argo's default, 1 MiB).
	maxWorkflowSize int
	command         string
}

func parseFlags() (flags, error) {
	var f flags
	sizes := flag.String("sizes", "10,100,500", "action counts of the DAGs of figures 1 and 4")
	flag.IntVar(&f.depth, "depth", 5, "layers of every DAG (the critical path in actions)")
	flag.DurationVar(&f.httpDelay, "http-delay", 100*time.Millisecond, "how long the hook server holds each HTTP answer")
	lagConc := flag.String("lag-concurrency", "1,50", "concurrent executions of figure 2")
	flag.IntVar(&f.lagSerial, "lag-serial", 5, "executions run one after another at concurrency 1 (figure 2)")
	flag.IntVar(&f.lagShape, "lag-actions", 10, "actions of figure 2's DAG (HTTP and resource alternating)")
	flag.IntVar(&f.scaleExecs, "scale-executions", 100, "concurrent executions of figure 3")
	flag.IntVar(&f.scaleShape, "scale-actions", 4, "actions of each of figure 3's concurrent executions")
	flag.IntVar(&f.big, "big", 1000, "actions of figure 3's large workflow (HTTP)")
	flag.IntVar(&f.bigDepth, "big-depth", 10, "layers of the large workflow")
	flag.Float64Var(&f.scale, "scale", 1, "multiply every size and concurrency by this (a quick run: 0.1)")
	figures := flag.String("figures", "1,2,3,4", "figures to measure (5: figure 3's large workflow again, with "+
		"-max-workflow-size below its size); the others are taken from -previous")
	flag.StringVar(&f.out, "out", "docs/benchmarks.md", "report to rewrite (the section between its markers); its directory gets the PNGs")
	flag.StringVar(&f.artifacts, "artifacts", "artifacts/bench", "logs of the stack and the operator, and results.json")
	flag.StringVar(&f.manager, "manager", "bin/manager", "the operator binary (make build)")
	flag.StringVar(&f.previous, "previous", "", "results.json of an earlier run, for the figures not measured now")
	flag.DurationVar(&f.lifetime, "lifetime", 2*time.Hour, "upper bound of every process of the stack")
	flag.IntVar(&f.maxWorkflowSize, "max-workflow-size", 0, "the workflow-controller's MAX_WORKFLOW_SIZE in bytes "+
		"(0: Argo's 1 MiB); figure 5 runs figure 3's large workflow again, to be compressed under it")
	flag.IntVar(&f.rounds, "rounds", 1, "times figure 1 runs each DAG (Argo alone, then through the operator, alternating)")
	flag.BoolVar(&f.renderOnly, "render-only", false, "measure nothing: write the report and plots of -previous again")
	flag.BoolVar(&f.nativeOnly, "native-only", false, "no Argo: kube-apiserver and etcd alone, figure 4 only (where the e2e tools are not built)")
	flag.Parse()
	f.command = "bench " + strings.Join(os.Args[1:], " ")
	var err error
	if f.sizes, err = ints(*sizes); err != nil {
		return f, fmt.Errorf("-sizes: %w", err)
	}
	if f.lagConc, err = ints(*lagConc); err != nil {
		return f, fmt.Errorf("-lag-concurrency: %w", err)
	}
	if f.figures, err = ints(*figures); err != nil {
		return f, fmt.Errorf("-figures: %w", err)
	}
	if f.nativeOnly {
		f.figures = []int{4}
	}
	if f.scale <= 0 {
		return f, fmt.Errorf("-scale must be positive")
	}
	for i := range f.sizes {
		f.sizes[i] = scaled(f.sizes[i], f.scale)
	}
	for i := range f.lagConc {
		f.lagConc[i] = scaled(f.lagConc[i], f.scale)
	}
	f.scaleExecs, f.big = scaled(f.scaleExecs, f.scale), scaled(f.big, f.scale)
	return f, nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a list of positive numbers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func scaled(n int, by float64) int { return max(1, int(math.Round(float64(n)*by))) }

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	f, err := parseFlags()
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, f flags) error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	res, prev := &report.Results{}, report.Env{}
	if f.previous != "" {
		if err := readJSON(f.previous, res); err != nil {
			return fmt.Errorf("-previous: %w", err)
		}
		prev = res.Env
	}
	if f.renderOnly {
		if f.previous == "" {
			return fmt.Errorf("-render-only needs -previous")
		}
		return writeReport(f.out, res)
	}
	res.Env = report.Env{Start: time.Now(), Commit: commit(root), CPU: cpuModel(), Cores: runtime.NumCPU(),
		MemoryGiB: memoryGiB(), LoadStart: loadAverage(), GoVersion: runtime.Version(), HTTPDelay: f.httpDelay,
		Sizes: f.sizes, Depth: f.depth, Command: f.command, NativeOnly: f.nativeOnly}
	b, err := startBench(ctx, root, f)
	if err != nil {
		return err
	}
	res.Env.ArgoVersion = b.argoVersion
	if f.previous != "" {
		for _, n := range prev.Sizes {
			if !slices.Contains(res.Env.Sizes, n) {
				res.Env.Sizes = append(res.Env.Sizes, n)
			}
		}
		slices.Sort(res.Env.Sizes)
		res.Env.Earlier = append(prev.Earlier, report.EarlierRun{Start: prev.Start, End: prev.End, Commit: prev.Commit,
			LoadStart: prev.LoadStart, LoadEnd: prev.LoadEnd, Command: prev.Command})
	}
	defer b.stop()
	measured := func(n int) bool { return slices.Contains(f.figures, n) }
	figures := []struct {
		n   int
		run func()
	}{
		{1, func() { res.Overhead = report.MergeRuns(res.Overhead, b.overhead()) }},
		{2, func() { res.Lag = b.lag() }},
		{3, func() { s := b.scale(); res.Scale = &s }},
		{4, func() { res.Native = b.native() }},
		{5, func() {
			if res.Scale == nil {
				res.Scale = &report.Scale{}
			}
			b.compressed(res.Scale)
		}},
	}
	for i, fig := range figures {
		if !measured(fig.n) {
			continue
		}
		if ctx.Err() != nil || b.op.exited() {
			b.missing = append(b.missing, fmt.Sprintf("figure %d: not run, the harness was stopped or the operator "+
				"exited (its log: %s/manager.log)", fig.n, b.dir))
			continue
		}
		log.Printf("figure %d", fig.n)
		fig.run()
		// The report after every figure: a run stopped later still leaves the figures it finished.
		var pending []string
		for _, later := range figures[i+1:] {
			if measured(later.n) {
				pending = append(pending, fmt.Sprintf("figure %d: not reached (the run was stopped before it)", later.n))
			}
		}
		if err := b.save(f, res, pending); err != nil {
			return err
		}
	}
	return b.save(f, res, nil)
}

// save completes the environment of res and writes results.json and the report; pending lists the figures
// still to come.
func (b *bench) save(f flags, res *report.Results, pending []string) error {
	res.Missing = append(append([]string(nil), b.missing...), pending...)
	for n, previous := range map[int]bool{2: len(res.Lag) > 0, 3: res.Scale != nil, 4: len(res.Native) > 0} {
		if previous && !slices.Contains(f.figures, n) {
			res.Missing = append(res.Missing, fmt.Sprintf("figure %d is from an earlier run (-previous %s)", n, f.previous))
		}
	}
	slices.Sort(res.Missing)
	if res.Scale != nil && slices.Contains(f.figures, 3) {
		_, res.Scale.HWM = b.op.memory()
	}
	res.Env.End, res.Env.LoadEnd = time.Now(), loadAverage()
	if err := writeJSON(filepath.Join(f.artifacts, "results.json"), res); err != nil {
		return err
	}
	return writeReport(f.out, res)
}

// writeReport splices the rendered section into the report and writes the plots beside it.
func writeReport(path string, res *report.Results) error {
	docs := filepath.Dir(path)
	if err := os.MkdirAll(filepath.Join(docs, "images"), 0o755); err != nil {
		return err
	}
	written, err := report.Plots(docs, res)
	if err != nil {
		return err
	}
	var section strings.Builder
	report.Render(&section, res)
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := report.Splice(string(doc), section.String())
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s and %v", path, written)
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
