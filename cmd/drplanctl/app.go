package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// Exit statuses: 0 all is well, 1 a problem (bad input, a failed run, an API error), 2 bad usage.
const (
	exitProblem = 1
	exitUsage   = 2
)

// exitError carries the exit status of a command that ran; any other error comes from parsing the command
// line and is bad usage.
type exitError struct {
	code int
	err  error // printed when set
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// problem is an error of a command that ran, exit status 1.
func problem(err error) error { return &exitError{code: exitProblem, err: err} }

// streams are the command's standard streams, injected for tests.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// run is the whole command, with its streams injected for tests. It returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(streams{in: stdin, out: stdout, err: stderr})
	if len(args) == 0 {
		root.SetOut(stderr)
		root.Usage()
		return exitUsage
	}
	root.SetArgs(args)
	// Ctrl-C ends watch cleanly (terminal restored) instead of killing the process mid-frame.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "drplanctl: %v\nRun 'drplanctl --help' for usage.\n", err)
	return exitUsage
}

func newRoot(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "drplanctl",
		Short: "Translate and validate DR objects offline; show DR executions in a cluster",
		Long: `drplanctl works with the DR objects of drplan-operator (DRWorkflow, DRPlan, DRPlanExecution).

Offline (files only):  translate, validate.
Against a cluster (kubectl's --kubeconfig, --context, -n):  get, describe, watch, history.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// No Run and no Args: cobra then answers an unknown subcommand with "unknown command".
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)

	kube := genericclioptions.NewConfigFlags(true)
	kube.AddFlags(root.PersistentFlags())
	c := &cluster{flags: kube, streams: s}

	root.AddGroup(&cobra.Group{ID: "offline", Title: "Offline (files):"}, &cobra.Group{ID: "cluster", Title: "Cluster:"})
	for _, cmd := range []*cobra.Command{newTranslate(s), newValidate(s)} {
		cmd.GroupID = "offline"
		root.AddCommand(cmd)
	}
	for _, cmd := range []*cobra.Command{newGet(c), newDescribe(c), newWatch(c), newHistory(c)} {
		cmd.GroupID = "cluster"
		root.AddCommand(cmd)
	}
	return root
}
