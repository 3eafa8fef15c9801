//go:build bench

package main

import (
	"fmt"
	"time"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/bench/report"
	"github.com/drplan/drplan-operator/test/testenv"
)

// runDirect creates the compiled Workflow of an execution named run of plan p (never created) straight in the
// API server and waits for Argo to end it.
func (b *bench) runDirect(ns, workflow, planName, run string, shape report.Shape) report.Run {
	r := report.Run{Shape: shape, Mode: report.ArgoAlone, Load: load1()}
	wf := &drv1.DRWorkflow{}
	p := &drv1.DRPlan{}
	if err := b.c.Get(b.ctx, key(ns, workflow), wf); err != nil {
		return failedRun(r, err)
	}
	if err := b.c.Get(b.ctx, key(ns, planName), p); err != nil {
		return failedRun(r, err)
	}
	compiledWf, err := compiled(wf, p, run)
	if err != nil {
		return failedRun(r, err)
	}
	compiledWf.Namespace = ns
	cpu0 := b.op.cpu()
	created := time.Now()
	if err := b.c.Create(b.ctx, compiledWf); err != nil {
		return failedRun(r, fmt.Errorf("creating Workflow %s: %w", compiledWf.Name, err))
	}
	ended := b.waitFor(run, runTimeout(shape), func(t runTrack) bool { return !t.wfDone.IsZero() })
	time.Sleep(settle)
	r.OperatorCPU = b.op.cpu() - cpu0
	t := b.t.snapshot(run)
	r.WorkflowBytes, r.Compressed = t.wfBytes, t.compressed
	r.Transitions = report.Transitions(t.wfShown)
	if !ended {
		return failedRun(r, fmt.Errorf("Workflow %s did not end within %s", compiledWf.Name, runTimeout(shape)))
	}
	r.Wall = t.wfDone.Sub(created)
	r.FirstAction = b.firstEffect(run, t).Sub(created)
	if t.wfPhase != "Succeeded" {
		return failedRun(r, fmt.Errorf("Workflow %s ended %s", compiledWf.Name, t.wfPhase))
	}
	return b.checkEffects(r, run, t)
}

// runExecution creates an execution named run of plan and waits for it to end.
func (b *bench) runExecution(ns, planName, run string, shape report.Shape, mode report.Mode, timeout time.Duration) report.Run {
	r := report.Run{Shape: shape, Mode: mode, Load: load1()}
	cpu0 := b.op.cpu()
	created := time.Now()
	if err := b.c.Create(b.ctx, testenv.Execution(ns, run, planName)); err != nil {
		return failedRun(r, fmt.Errorf("creating DRPlanExecution %s: %w", run, err))
	}
	ended := b.waitFor(run, timeout, func(t runTrack) bool { return !t.exDone.IsZero() })
	time.Sleep(settle)
	r.OperatorCPU = b.op.cpu() - cpu0
	return b.executionRun(r, run, created, ended, timeout)
}

// executionRun fills r from what the watches saw of the execution run created at created.
func (b *bench) executionRun(r report.Run, run string, created time.Time, ended bool, timeout time.Duration) report.Run {
	t := b.t.snapshot(run)
	r.Writes, r.StatusBytes = t.exWrites, t.exBytes
	r.WorkflowBytes, r.Compressed = t.wfBytes, t.compressed
	if r.Mode == report.Native {
		r.Transitions = report.Transitions(t.exSeen)
		if httpActions(r.Shape) > 0 {
			r.CriticalPath = time.Duration(r.Shape.Depth) * b.f.httpDelay
		}
	} else {
		r.Transitions = report.Transitions(t.wfShown)
	}
	if !ended {
		return failedRun(r, fmt.Errorf("execution %s did not end within %s", run, timeout))
	}
	r.Wall = t.exDone.Sub(created)
	if first := b.firstEffect(run, t); !first.IsZero() {
		r.FirstAction = first.Sub(created)
	}
	if !t.wfFirst.IsZero() {
		r.WorkflowCreated = t.wfFirst.Sub(created)
	}
	if !t.wfNodesDone.IsZero() {
		r.EndLag = t.exDone.Sub(t.wfNodesDone)
	}
	if !t.wfDone.IsZero() {
		r.PhaseLag = t.exDone.Sub(t.wfDone)
	}
	if t.exPhase != drv1.ExecutionSucceeded {
		return failedRun(r, fmt.Errorf("execution %s ended %s: %s", run, t.exPhase, t.exMessage))
	}
	return b.checkEffects(r, run, t)
}

// firstEffect is the first action's effect of run: its first HTTP request or its first ConfigMap.
func (b *bench) firstEffect(run string, t runTrack) time.Time {
	first, _ := b.hooks.requests(run)
	if first.IsZero() || (!t.cmFirst.IsZero() && t.cmFirst.Before(first)) {
		return t.cmFirst
	}
	return first
}

// checkEffects fails a run whose HTTP requests or ConfigMaps are not one per action: nothing lost, nothing
// done twice.
func (b *bench) checkEffects(r report.Run, run string, t runTrack) report.Run {
	_, requests := b.hooks.requests(run)
	wantHTTP := httpActions(r.Shape)
	if requests != wantHTTP || t.cmCount != r.Shape.Actions-wantHTTP {
		return failedRun(r, fmt.Errorf("%d HTTP requests and %d ConfigMaps for %d HTTP and %d resource actions",
			requests, t.cmCount, wantHTTP, r.Shape.Actions-wantHTTP))
	}
	r.OK = true
	return r
}

func failedRun(r report.Run, err error) report.Run {
	r.OK, r.Error = false, err.Error()
	return r
}
