package drplanctl

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	. "github.com/onsi/gomega"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startLive creates execution name of plan failover, Running with its action promote Running.
func startLive(t *testing.T, name string) *drv1.DRPlanExecution {
	t.Helper()
	ex := execution(name, "failover")
	if err := create(ex, func() { ex.Status = liveStatus(drv1.ActionRunning) }); err != nil {
		t.Fatal(err)
	}
	return ex
}

// finish writes the status the operator would write when promote succeeds.
func finish(t *testing.T, ex *drv1.DRPlanExecution) {
	t.Helper()
	ex.Status = liveStatus(drv1.ActionSucceeded)
	if err := k8sClient.Status().Update(ctx, ex); err != nil {
		t.Fatal(err)
	}
}

var ansiCodes = regexp.MustCompile("\x1b\\[[0-9;?]*[a-zA-Z]")

// lastFrame is what a terminal shows after the last clear-screen.
func lastFrame(out string) string {
	if i := strings.LastIndex(out, "\x1b[2J"); i >= 0 {
		return out[i+len("\x1b[2J"):]
	}
	return out
}

func TestWatchInATerminalRedrawsInColourUntilTheRunEnds(t *testing.T) {
	g := NewWithT(t)
	ex := startLive(t, "live-tty")
	cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "-n", ns, "watch", ex.Name)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "NO_COLOR=")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 80})
	g.Expect(err).NotTo(HaveOccurred())
	defer tty.Close()
	var out syncBuffer
	go io.Copy(&out, tty)

	running := "\x1b[34mRunning\x1b[0m"
	g.Eventually(func() string { return lastFrame(out.String()) }, 20*time.Second, 50*time.Millisecond).
		Should(MatchRegexp(`promote +` + regexpQuote(running)))
	g.Expect(out.String()).To(HavePrefix("\x1b[?7l"), "line wrap off while the view runs")
	// The view ticks: the run's duration is redrawn while it runs.
	frames := strings.Count(out.String(), "\x1b[2J")
	g.Eventually(func() int { return strings.Count(out.String(), "\x1b[2J") }, 5*time.Second).Should(BeNumerically(">", frames))

	finish(t, ex)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	g.Eventually(done, 20*time.Second).Should(Receive(BeNil()), "watch exits 0 once the run Succeeded")
	g.Eventually(func() string { return out.String() }).Should(HaveSuffix("\x1b[?7h"))
	frame := lastFrame(out.String())
	g.Expect(frame).To(MatchRegexp(`promote +` + regexpQuote("\x1b[32mSucceeded\x1b[0m")))
	g.Expect(frame).To(MatchRegexp(`live-tty \(Execute failover\) +` + regexpQuote("\x1b[32mSucceeded\x1b[0m") + ` +30s`))
	g.Expect(frame).To(ContainSubstring("live-traffic-0-shift"))
	g.Expect(frame).To(ContainSubstring("shop/live-tty ended: Succeeded"))
	// Lines are cut at the terminal's 80 columns (the tree is wider), colour codes not counted.
	for _, l := range strings.Split(strings.TrimSpace(frame), "\r\n") {
		g.Expect(utf8.RuneCountInString(ansiCodes.ReplaceAllString(l, ""))).To(BeNumerically("<=", 80), l)
	}
	g.Expect(frame).To(ContainSubstring("…"))
}

func TestWatchWithoutATerminalPrintsEachChangePlain(t *testing.T) {
	g := NewWithT(t)
	ex := startLive(t, "live-pipe")
	cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "-n", ns, "watch", "-p", "failover")
	// -p picks the plan's running execution: make it this one.
	plan := &drv1.DRPlan{}
	g.Expect(k8sClient.Get(ctx, clientKey("failover"), plan)).To(Succeed())
	plan.Status.CurrentExecution = &drv1.ObjectReference{Name: ex.Name}
	g.Expect(k8sClient.Status().Update(ctx, plan)).To(Succeed())
	defer func() {
		g.Expect(k8sClient.Get(ctx, clientKey("failover"), plan)).To(Succeed())
		plan.Status.CurrentExecution = nil
		g.Expect(k8sClient.Status().Update(ctx, plan)).To(Succeed())
	}()
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	g.Expect(cmd.Start()).To(Succeed())
	g.Eventually(out.String, 20*time.Second).Should(MatchRegexp(`promote +Running`))
	finish(t, ex)
	g.Eventually(func() error { return cmd.Wait() }, 20*time.Second).Should(Succeed())
	text := out.String()
	g.Expect(text).NotTo(ContainSubstring("\x1b"))
	frames := strings.Split(text, "\n\n")
	g.Expect(frames).To(HaveLen(2), text)
	g.Expect(frames[0]).To(MatchRegexp(`(?m)^live-pipe \(Execute failover\) +Running`))
	g.Expect(frames[1]).To(MatchRegexp(`(?m)^live-pipe \(Execute failover\) +Succeeded +30s`))
	g.Expect(frames[1]).To(MatchRegexp(`(?m)promote +Succeeded +30s`))
}

func TestWatchEndsWithFailureStatus(t *testing.T) {
	g := NewWithT(t)
	code, out, _ := drplanctl("watch", "-n", ns, "run-1")
	g.Expect(code).To(Equal(1), "run-1 Failed")
	g.Expect(out).To(ContainSubstring("run-1 (Execute failover)"))
	code, _, errOut := drplanctl("watch", "-n", ns, "ghost")
	g.Expect(code).To(Equal(1))
	g.Expect(errOut).To(ContainSubstring("DRPlanExecution shop/ghost not found"))
}
