package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Results {
	http100 := Shape{Kind: "http", Actions: 100, Depth: 5}
	res10 := Shape{Kind: "resource", Actions: 10, Depth: 5}
	return &Results{
		Env: Env{Start: time.Date(2026, 12, 8, 4, 30, 0, 0, time.UTC), End: time.Date(2026, 12, 8, 4, 50, 0, 0, time.UTC),
			Commit: "abc1234", CPU: "Test CPU", Cores: 2, MemoryGiB: 23, GoVersion: "go1.26", ArgoVersion: "v3.7.18",
			HTTPDelay: 100 * time.Millisecond, Sizes: []int{10, 100}, Depth: 5, Command: "make bench"},
		Overhead: []Run{
			{Shape: http100, Mode: ArgoAlone, OK: true, Wall: 10 * time.Second, FirstAction: 2 * time.Second},
			{Shape: http100, Mode: ThroughOperator, OK: true, Wall: 12 * time.Second, FirstAction: 1500 * time.Millisecond,
				OperatorCPU: 800 * time.Millisecond},
			{Shape: res10, Mode: ArgoAlone, OK: true, Wall: 5 * time.Second},
			{Shape: res10, Mode: ThroughOperator, OK: false, Error: "timed out | waiting"},
		},
		Lag: []LagBatch{{Concurrency: 1, Succeeded: 1, Lags: []time.Duration{10 * time.Millisecond, 400 * time.Millisecond},
			Writes: []int{9}, Transitions: []int{8}}},
		Native: []Run{{Shape: http100, Mode: Native, OK: true, Wall: time.Second, CriticalPath: 500 * time.Millisecond,
			OperatorCPU: time.Second}},
		Missing: []string{"figure 3: the stack stopped"},
	}
}

func TestRenderStatesEveryFigureAndTarget(t *testing.T) {
	var b bytes.Buffer
	Render(&b, sample())
	out := b.String()
	for _, want := range []string{
		"**Commit**: `abc1234`",
		"| 100 | http | 10.00 s | 12.00 s | 1.20× | 2000 ms / 1500 ms |",
		"failed: timed out / waiting",                          // a failed run is shown, and cannot break the table
		"at 100 actions (http): 1.20× (one pair) — **missed**", // ratio target
		"at most 1500 ms over the runs above — **missed**",     // first action target
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{
		"status lag p99 < 300 ms, 1 concurrent | 400 ms | **missed**",
		"writes ≤ transitions + 3, 1 concurrent (worst execution) | transitions +1 | **met**",
		"| 100 | http | 1000 ms | 500 ms | 2.00× | 12.00 s |",
		"### 3. Scale\n\nNot measured",
		"- figure 3: the stack stopped",
		Images.Lag, Images.Wall,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestPlotsWriteReadablePNGs(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	written, err := Plots(dir, sample())
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 3 {
		t.Fatalf("wrote %v, want the three plots", written)
	}
	for _, w := range written {
		f, err := os.Open(filepath.Join(dir, w))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", w, err)
		}
		if img.Bounds().Dx() < 500 {
			t.Fatalf("%s is %d pixels wide", w, img.Bounds().Dx())
		}
	}
}

func TestPlotsSkipFiguresWithoutData(t *testing.T) {
	dir := t.TempDir()
	written, err := Plots(dir, &Results{})
	if err != nil || len(written) != 0 {
		t.Fatalf("Plots of no data = %v, %v", written, err)
	}
}

func TestLogTicksLabelOneTwoFive(t *testing.T) {
	var labels []string
	for _, tick := range (logTicks{}).Ticks(0.3, 60) {
		if tick.Label != "" {
			labels = append(labels, tick.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.5 1 2 5 10 20 50" {
		t.Fatalf("labels = %s", got)
	}
}

func TestRatioTargetIsTheMedianOfThePairs(t *testing.T) {
	r := sample()
	http100 := r.Overhead[0].Shape
	r.Overhead = MergeRuns(r.Overhead, []Run{
		{Shape: http100, Mode: ArgoAlone, OK: true, Wall: 10 * time.Second},
		{Shape: http100, Mode: ThroughOperator, OK: true, Wall: 10 * time.Second},
		{Shape: http100, Mode: ArgoAlone, OK: true, Wall: 10 * time.Second},
		{Shape: http100, Mode: ThroughOperator, OK: true, Wall: 11 * time.Second},
	})
	var b bytes.Buffer
	Render(&b, r)
	if !strings.Contains(b.String(), "at 100 actions (http): 1.05× (median of 2 pairs: 1.00, 1.10) — **met**") {
		t.Fatalf("the later run's two pairs must replace the earlier pair of the same shape:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "| 10 | resource | 5000 ms |") {
		t.Fatalf("the earlier run of another shape must be kept:\n%s", b.String())
	}
}
