//go:build bench

package main

import (
	"fmt"
	"log"
	"sync"
	"time"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/bench/report"
	"github.com/drplan/drplan-operator/test/testenv"
)

var kindsRun = []string{"http", "resource"}

// overhead is figure 1: every shape straight on Argo, then through the operator, one after the other, rounds
// times.
func (b *bench) overhead() []report.Run {
	ns := "bench-overhead"
	var runs []report.Run
	for _, n := range b.f.sizes {
		for _, kind := range kindsRun {
			s := report.Shape{Kind: kind, Actions: n, Depth: b.f.depth}
			name := fmt.Sprintf("%s-%d", kind, n)
			if err := b.setup(ns, "dag-"+name, s, drv1.ExecutorArgo, "p-"+name); err != nil {
				b.missing = append(b.missing, fmt.Sprintf("figure 1, %s: %v", name, err))
				continue
			}
			for r := 1; r <= b.f.rounds; r++ {
				run := fmt.Sprintf("%s-r%d-%d", name, r, time.Now().Unix()%100000) // unique across merged runs
				a := b.runDirect(ns, "dag-"+name, "p-"+name, "argo-"+run, s)
				logRun(a)
				o := b.runExecution(ns, "p-"+name, "op-"+run, s, report.ThroughOperator, runTimeout(s))
				logRun(o)
				runs = append(runs, a, o)
			}
		}
	}
	return runs
}

// native is figure 4: the shapes of figure 1 on the native engine.
func (b *bench) native() []report.Run {
	ns := "bench-native"
	var runs []report.Run
	for _, n := range b.f.sizes {
		for _, kind := range kindsRun {
			s := report.Shape{Kind: kind, Actions: n, Depth: b.f.depth}
			name := fmt.Sprintf("%s-%d", kind, n)
			if err := b.setup(ns, "ndag-"+name, s, drv1.ExecutorNative, "np-"+name); err != nil {
				b.missing = append(b.missing, fmt.Sprintf("figure 4, %s: %v", name, err))
				continue
			}
			r := b.runExecution(ns, "np-"+name, "nat-"+name, s, report.Native, runTimeout(s))
			logRun(r)
			runs = append(runs, r)
		}
	}
	return runs
}

func logRun(r report.Run) {
	log.Printf("  %s %s-%d: ok=%v wall=%s first=%s endlag=%s cpu=%s writes=%d transitions=%d %s", r.Mode, r.Shape.Kind,
		r.Shape.Actions, r.OK, r.Wall.Round(time.Millisecond), r.FirstAction.Round(time.Millisecond),
		r.EndLag.Round(time.Millisecond), r.OperatorCPU, r.Writes, r.Transitions, r.Error)
}

// lag is figure 2: at concurrency 1, lagSerial executions one after another; at any other, that many at once.
func (b *bench) lag() []report.LagBatch {
	var out []report.LagBatch
	s := report.Shape{Kind: "mixed", Actions: b.f.lagShape, Depth: b.f.depth}
	for _, c := range b.f.lagConc {
		ns := fmt.Sprintf("bench-lag-%d", c)
		batch := report.LagBatch{Concurrency: c, Shape: s, Load: load1()}
		plans := make([]string, c)
		for i := range plans {
			plans[i] = fmt.Sprintf("lag-%d", i)
		}
		if err := b.setup(ns, "lag", s, drv1.ExecutorArgo, plans...); err != nil {
			batch.Error = err.Error()
			out = append(out, batch)
			continue
		}
		cpu0, start, throttled0 := b.op.cpu(), time.Now(), b.op.throttled()
		if c == 1 {
			for i := 0; i < b.f.lagSerial; i++ {
				b.batch(ns, plans, fmt.Sprintf("lag1-%d", i), s, &batch)
			}
			batch.Concurrency = 1
		} else {
			b.batch(ns, plans, fmt.Sprintf("lag%d", c), s, &batch)
		}
		batch.Wall, batch.OperatorCPU = time.Since(start)-settle, b.op.cpu()-cpu0
		batch.Throttled = b.op.throttled() - throttled0
		log.Printf("  %d concurrent: %d Succeeded, p50 %s p99 %s, writes max %d, transitions mean %.1f %s", c, batch.Succeeded,
			report.Percentile(batch.Lags, 50), report.Percentile(batch.Lags, 99), report.MaxInt(batch.Writes),
			report.MeanInt(batch.Transitions), batch.Error)
		out = append(out, batch)
	}
	return out
}

// batch starts one execution of every plan at once (named prefix-<i>), waits for all to end, and adds their
// lags and writes to lb. Succeeded counts every Succeeded execution.
func (b *bench) batch(ns string, plans []string, prefix string, s report.Shape, lb *report.LagBatch) []string {
	runs := make([]string, len(plans))
	planWrites0 := make([]int, len(plans))
	for i, p := range plans {
		runs[i] = fmt.Sprintf("%s-%d", prefix, i)
		planWrites0[i] = b.t.planWrites(p)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(plans))
	for i := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.c.Create(b.ctx, testenv.Execution(ns, runs[i], plans[i]))
		}()
	}
	wg.Wait()
	timeout := runTimeout(report.Shape{Actions: s.Actions * len(plans)})
	for i, run := range runs {
		if errs[i] != nil {
			lb.Error = errs[i].Error()
			continue
		}
		b.waitFor(run, timeout, func(t runTrack) bool { return !t.exDone.IsZero() })
	}
	time.Sleep(settle)
	var lost []string
	for i, run := range runs {
		t := b.t.snapshot(run)
		if t.exPhase == drv1.ExecutionSucceeded {
			lb.Succeeded++
		} else {
			lost = append(lost, fmt.Sprintf("%s (%s)", run, orNone(string(t.exPhase))))
		}
		lags, coalesced := report.Lags(t.wfShown, t.exSeen)
		lb.Lags = append(lb.Lags, lags...)
		lb.Coalesced += coalesced
		lb.Writes = append(lb.Writes, t.exWrites)
		lb.Transitions = append(lb.Transitions, report.Transitions(t.wfShown))
		lb.PlanWrites = append(lb.PlanWrites, b.t.planWrites(plans[i])-planWrites0[i])
	}
	if len(lost) > 0 && lb.Error == "" {
		lb.Error = fmt.Sprintf("not Succeeded: %v", lost)
	}
	return lost
}

func orNone(s string) string {
	if s == "" {
		return "not ended"
	}
	return s
}

// scale is figure 3: scaleExecs executions at once, then the big workflow alone.
func (b *bench) scale() report.Scale {
	s := report.Scale{Concurrent: b.f.scaleExecs,
		ConcurrentShape: report.Shape{Kind: "mixed", Actions: b.f.scaleShape, Depth: min(2, b.f.scaleShape)}}
	ns := "bench-scale"
	plans := make([]string, s.Concurrent)
	for i := range plans {
		plans[i] = fmt.Sprintf("s-%d", i)
	}
	if err := b.setup(ns, "small", s.ConcurrentShape, drv1.ExecutorArgo, plans...); err != nil {
		s.ConcurrentError = err.Error()
	} else {
		s.ConcurrentLoad = load1()
		s.RSSBefore = b.op.resetPeak()
		cpu0, start, throttled0 := b.op.cpu(), time.Now(), b.op.throttled()
		lb := report.LagBatch{}
		s.Lost = b.batch(ns, plans, "s", s.ConcurrentShape, &lb)
		s.ConcurrentWall, s.ConcurrentCPU = time.Since(start)-settle, b.op.cpu()-cpu0
		s.RSSPeak, s.Succeeded = b.op.peak(), lb.Succeeded
		s.ConcurrentThrottled = b.op.throttled() - throttled0
		log.Printf("  %d concurrent: %d Succeeded in %s, CPU %s, RSS %d -> %d", s.Concurrent, s.Succeeded, s.ConcurrentWall, s.ConcurrentCPU, s.RSSBefore, s.RSSPeak)
	}
	big := report.Shape{Kind: "http", Actions: b.f.big, Depth: b.f.bigDepth}
	if err := b.setup(ns, "big", big, drv1.ExecutorArgo, "big"); err != nil {
		s.Big = report.Run{Shape: big, Mode: report.ThroughOperator, Error: err.Error()}
		return s
	}
	b.op.resetPeak()
	s.Big = b.runExecution(ns, "big", "big-x", big, report.ThroughOperator, runTimeout(big))
	s.BigRSSPeak = b.op.peak()
	s.BigSucceeded = b.succeededActions(ns, "big-x")
	logRun(s.Big)
	return s
}

// compressed is figure 5: the large workflow of figure 3 again, in a stack whose workflow-controller compresses
// node status past -max-workflow-size.
func (b *bench) compressed(s *report.Scale) {
	ns := "bench-compressed"
	big := report.Shape{Kind: "http", Actions: b.f.big, Depth: b.f.bigDepth}
	s.CompressAt = b.f.maxWorkflowSize
	if err := b.setup(ns, "big", big, drv1.ExecutorArgo, "big"); err != nil {
		s.Compressed = &report.Run{Shape: big, Mode: report.ThroughOperator, Error: err.Error()}
		return
	}
	r := b.runExecution(ns, "big", "bigc-x", big, report.ThroughOperator, runTimeout(big))
	s.Compressed, s.CompressedSucceeded = &r, b.succeededActions(ns, "bigc-x")
	logRun(r)
}

// succeededActions counts the Succeeded actions in the status of execution ns/name.
func (b *bench) succeededActions(ns, name string) int {
	ex := &drv1.DRPlanExecution{}
	if err := b.c.Get(b.ctx, key(ns, name), ex); err != nil {
		return 0
	}
	n := 0
	for _, st := range ex.Status.StageStatuses {
		for _, w := range st.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				if a.Phase == drv1.ActionSucceeded {
					n++
				}
			}
		}
	}
	return n
}
