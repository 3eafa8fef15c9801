package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/cmd/drplanctl/internal/view"
)

// Terminal control for the live view: home + clear screen before each frame, and line wrap off while it runs
// so a long message is cut at the terminal's edge instead of pushing the tree down.
const (
	clearScreen = "\x1b[H\x1b[2J"
	wrapOff     = "\x1b[?7l"
	wrapOn      = "\x1b[?7h"
)

func newWatch(c *cluster) *cobra.Command {
	var plan string
	cmd := &cobra.Command{
		Use:   "watch (EXECUTION | -p PLAN)",
		Short: "Show an execution's tree and update it live until the execution ends",
		Long: `Show the tree of get and update it as the operator writes the execution's status, until the execution
ends. On a terminal the view is redrawn in place (durations tick every second) and phases are coloured (unless
NO_COLOR is set, TERM=dumb or --color=never); elsewhere each change prints the whole tree again, plain.
With -p, the plan's running execution, or its last one.

Exit status: 0 when the execution Succeeded, 1 when it Failed or was Canceled (or on an error).`,
		Example: `  drplanctl watch -n shop failover-run-1
  drplanctl watch -n shop -p failover`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: c.completeExecutions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (plan != "") {
				return usageError("drplanctl watch: give an execution name or -p PLAN (one of them)")
			}
			s, cl, ns, err := c.connect()
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			} else if name, err = executionOfPlan(cmd.Context(), cl, ns, plan); err != nil {
				return err
			}
			sc := &screen{out: c.out, style: s}
			if f, ok := c.out.(*os.File); ok && isTerminal(f) {
				sc.live = true
				sc.size = func() (int, int, error) { return term.GetSize(int(f.Fd())) }
			}
			return watchExecution(cmd.Context(), cl, ns, name, sc)
		},
	}
	cmd.Flags().StringVarP(&plan, "plan", "p", "", "watch this DRPlan's running (else last) execution")
	c.addColor(cmd)
	_ = cmd.RegisterFlagCompletionFunc("plan", c.completePlans)
	return cmd
}

// executionOfPlan is the plan's running execution, else its last one.
func executionOfPlan(ctx context.Context, cl client.Client, ns, name string) (string, error) {
	plan := &drv1.DRPlan{}
	if err := cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, plan); err != nil {
		return "", problem(fmt.Errorf("DRPlan %s/%s: %w", ns, name, err))
	}
	switch {
	case plan.Status.CurrentExecution != nil:
		return plan.Status.CurrentExecution.Name, nil
	case plan.Status.LastExecutionRef != nil:
		return plan.Status.LastExecutionRef.Name, nil
	}
	return "", problem(fmt.Errorf("DRPlan %s/%s has no execution yet", ns, name))
}

// screen draws frames of the tree: in place on a terminal, appended elsewhere.
type screen struct {
	out   io.Writer
	live  bool
	style view.Style
	// size is the terminal's columns and rows, read before each frame (nil: not a terminal).
	size func() (cols, rows int, err error)

	mu   sync.Mutex
	last *drv1.DRPlanExecution
	// printed is the last frame appended in plain mode; an identical frame is not printed again.
	printed []byte
}

func (s *screen) show(ex *drv1.DRPlanExecution) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = ex
	s.drawLocked()
}

// tick redraws the last frame so running durations advance (terminal only).
func (s *screen) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live && s.last != nil && !s.last.Status.Phase.IsTerminal() {
		s.drawLocked()
	}
}

func (s *screen) drawLocked() {
	var b bytes.Buffer
	_ = view.Tree(&b, s.last, time.Now(), s.style)
	if s.live {
		footer := fmt.Sprintf("watching %s/%s (Ctrl-C to stop)", s.last.Namespace, s.last.Name)
		if s.last.Status.Phase.IsTerminal() {
			footer = fmt.Sprintf("%s/%s ended: %s", s.last.Namespace, s.last.Name, s.last.Status.Phase)
		}
		fmt.Fprintf(s.out, "%s%s%s\n", clearScreen, fit(b.String(), s.size), footer)
		return
	}
	// A plain frame is a function of the status, not the clock, so a change of durations alone prints nothing.
	var plain bytes.Buffer
	_ = view.Tree(&plain, s.last, frozen(s.last), s.style)
	if bytes.Equal(plain.Bytes(), s.printed) {
		return
	}
	if s.printed != nil {
		fmt.Fprintln(s.out)
	}
	s.printed = plain.Bytes()
	s.out.Write(s.printed)
}

// fit cuts a frame to the terminal: lines to its width (counting what shows, not colour codes), and the frame
// to its height less the footer and a blank line, so the view never scrolls.
func fit(frame string, size func() (int, int, error)) string {
	lines := strings.Split(strings.TrimRight(frame, "\n"), "\n")
	cols, rows, err := 0, 0, errors.New("no terminal")
	if size != nil {
		cols, rows, err = size()
	}
	if err != nil || cols <= 0 || rows <= 0 {
		return strings.Join(lines, "\n") + "\n\n"
	}
	if max := rows - 2; max > 0 && len(lines) > max {
		hidden := len(lines) - max + 1
		lines = append(lines[:max-1], fmt.Sprintf("… %d more lines (a taller terminal shows them)", hidden))
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, cols, "…")
	}
	return strings.Join(lines, "\n") + "\n\n"
}

// frozen is the clock of a plain frame: the completion time once finished, else the latest time the status
// records (a start, a completion, a condition change), so frames differ only when the status does and a running
// duration reads "as of the last change".
func frozen(ex *drv1.DRPlanExecution) time.Time {
	if t := ex.Status.CompletionTime; t != nil {
		return t.Time
	}
	latest := ex.CreationTimestamp.Time
	seen := func(t *metav1.Time) {
		if t != nil && t.After(latest) {
			latest = t.Time
		}
	}
	seen(ex.Status.StartTime)
	for i := range ex.Status.Conditions {
		seen(&ex.Status.Conditions[i].LastTransitionTime)
	}
	for _, stages := range [][]drv1.StageStatus{ex.Status.StageStatuses, ex.Status.RollbackStageStatuses} {
		for _, stg := range stages {
			seen(stg.StartTime)
			seen(stg.CompletionTime)
			for _, we := range stg.WorkflowExecutions {
				seen(we.StartTime)
				seen(we.CompletionTime)
				for _, a := range we.ActionStatuses {
					seen(a.StartTime)
					seen(a.CompletionTime)
				}
			}
		}
	}
	return latest
}

// watchExecution shows the execution, then every change, until it ends; its phase is the exit status.
func watchExecution(ctx context.Context, cl client.WithWatch, ns, name string, s *screen) error {
	if s.live {
		fmt.Fprint(s.out, wrapOff)
		defer fmt.Fprint(s.out, wrapOn)
		ticker := time.NewTicker(time.Second)
		defer ticker.Stop()
		tctx, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			for {
				select {
				case <-tctx.Done():
					return
				case <-ticker.C:
					s.tick()
				}
			}
		}()
	}
	one := client.MatchingFields{"metadata.name": name}
	// UntilWithSync lists, then watches, and re-lists after a dropped watch or an expired resourceVersion.
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			list := &drv1.DRPlanExecutionList{}
			return list, cl.List(ctx, list, client.InNamespace(ns), one, &client.ListOptions{Raw: &o})
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return cl.Watch(ctx, &drv1.DRPlanExecutionList{}, client.InNamespace(ns), one, &client.ListOptions{Raw: &o})
		},
	}
	var final *drv1.DRPlanExecution
	_, err := watchtools.UntilWithSync(ctx, lw, &drv1.DRPlanExecution{}, func(store cache.Store) (bool, error) {
		// The precondition sees the first list: a missing execution is an error, not an endless wait.
		if _, exists, err := store.GetByKey(ns + "/" + name); err != nil || !exists {
			return false, fmt.Errorf("DRPlanExecution %s/%s not found", ns, name)
		}
		return false, nil
	}, func(ev watch.Event) (bool, error) {
		ex, ok := ev.Object.(*drv1.DRPlanExecution)
		if !ok {
			return false, nil
		}
		if ev.Type == watch.Deleted {
			return false, fmt.Errorf("DRPlanExecution %s/%s was deleted", ns, name)
		}
		s.show(ex)
		if ex.Status.Phase.IsTerminal() {
			final = ex
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, watchtools.ErrWatchClosed)) {
			return nil // Ctrl-C: the person stopped watching
		}
		return problem(err)
	}
	if final.Status.Phase != drv1.ExecutionSucceeded {
		return &exitError{code: exitProblem}
	}
	return nil
}
