package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/cmd/drplanctl/internal/view"
)

// scheme knows the DR kinds and core/v1 (events), for the client and for -o yaml|json.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(drv1.AddToScheme(s))
	return s
}()

// cluster holds what the commands that talk to a cluster share: kubectl's connection flags and the streams.
type cluster struct {
	flags *genericclioptions.ConfigFlags
	streams
	color string // --color: auto, always, never
}

// client connects with the kubeconfig, context and namespace of the flags, as kubectl would.
func (c *cluster) client() (client.WithWatch, string, error) {
	ns, _, err := c.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", problem(fmt.Errorf("reading the kubeconfig: %w", err))
	}
	cfg, err := c.flags.ToRESTConfig()
	if err != nil {
		return nil, "", problem(fmt.Errorf("reading the kubeconfig: %w", err))
	}
	cl, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", problem(fmt.Errorf("connecting to %s: %w", cfg.Host, err))
	}
	return cl, ns, nil
}

// addColor adds --color to a command that prints for people.
func (c *cluster) addColor(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.color, "color", "auto", "colour phases: auto (on a terminal unless NO_COLOR is set or TERM=dumb), always, never")
}

// style decides on colour: asked for, or a terminal that is not "dumb" and no NO_COLOR (https://no-color.org).
// connect is what every command against a cluster starts with: the output style, the client and the
// namespace.
func (c *cluster) connect() (view.Style, client.WithWatch, string, error) {
	s, err := c.style()
	if err != nil {
		return view.Style{}, nil, "", err
	}
	cl, ns, err := c.client()
	return s, cl, ns, err
}

func (c *cluster) style() (view.Style, error) {
	switch c.color {
	case "always":
		return view.Style{Color: true}, nil
	case "never":
		return view.Style{}, nil
	case "auto", "":
		return view.Style{Color: isTerminal(c.out) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"}, nil
	}
	return view.Style{}, usageError("--color must be auto, always or never, not %q", c.color)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// getExecution reads one execution; a missing one is named with its namespace.
func getExecution(ctx context.Context, cl client.Client, ns, name string) (*drv1.DRPlanExecution, error) {
	ex := &drv1.DRPlanExecution{}
	if err := cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ex); err != nil {
		return nil, problem(fmt.Errorf("DRPlanExecution %s/%s: %w", ns, name, err))
	}
	return ex, nil
}

// executionsOf lists the executions in ns, only plan's when plan is set.
func executionsOf(ctx context.Context, cl client.Client, ns, plan string) (*drv1.DRPlanExecutionList, error) {
	list := &drv1.DRPlanExecutionList{}
	if err := cl.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, problem(fmt.Errorf("listing DRPlanExecutions in %s: %w", ns, err))
	}
	if plan != "" {
		list.Items = slices.DeleteFunc(list.Items, func(ex drv1.DRPlanExecution) bool { return ex.Spec.PlanRef != plan })
	}
	return list, nil
}

func newGet(c *cluster) *cobra.Command {
	var plan string
	pf := genericclioptions.NewPrintFlags("").WithTypeSetter(scheme)
	cmd := &cobra.Command{
		Use:   "get [EXECUTION] [-p PLAN]",
		Short: "Show an execution as a tree of stages, workflow entries and actions, or list executions",
		Long: `With EXECUTION, print it as a tree: the execution, its stages, each stage's workflow entries with the Argo
Workflow that runs them (or "native"), and each entry's actions with phase, duration, retries and message; a
rollback follows under "rollback". Without, list the executions of the namespace (of PLAN with -p), newest first.

-o yaml|json (and kubectl's name, jsonpath=..., go-template=...) prints the objects instead.`,
		Example: `  drplanctl get -n shop -p failover
  drplanctl get -n shop failover-run-1
  drplanctl get -n shop failover-run-1 -o yaml`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: c.completeExecutions,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, cl, ns, err := c.connect()
			if err != nil {
				return err
			}
			var obj runtime.Object
			if len(args) == 1 {
				ex, err := getExecution(cmd.Context(), cl, ns, args[0])
				if err != nil {
					return err
				}
				if *pf.OutputFormat == "" {
					return problemOf(view.Tree(c.out, ex, time.Now(), s))
				}
				obj = ex
			} else {
				list, err := executionsOf(cmd.Context(), cl, ns, plan)
				if err != nil {
					return err
				}
				if *pf.OutputFormat == "" {
					if len(list.Items) == 0 {
						fmt.Fprintf(c.err, "No DRPlanExecutions in namespace %s%s.\n", ns, ofPlan(plan))
						return nil
					}
					return problemOf(view.Executions(c.out, list.Items, time.Now(), s))
				}
				obj = list
			}
			p, err := pf.ToPrinter()
			if err != nil {
				return usageError("%v", err)
			}
			return problemOf(p.PrintObj(obj, c.out))
		},
	}
	cmd.Flags().StringVarP(&plan, "plan", "p", "", "list only the executions of this DRPlan")
	pf.AddFlags(cmd)
	c.addColor(cmd)
	_ = cmd.RegisterFlagCompletionFunc("plan", c.completePlans)
	return cmd
}

func newDescribe(c *cluster) *cobra.Command {
	cmd := &cobra.Command{
		Use:               "describe EXECUTION",
		Short:             "Show one execution in detail: spec, phase, conditions, the tree, action outputs and events",
		Example:           `  drplanctl describe -n shop failover-run-1`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeExecutions,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, cl, ns, err := c.connect()
			if err != nil {
				return err
			}
			ex, err := getExecution(cmd.Context(), cl, ns, args[0])
			if err != nil {
				return err
			}
			events := &corev1.EventList{}
			// Events are best effort, as in kubectl describe: a reader without access to them still sees the rest.
			evErr := cl.List(cmd.Context(), events, client.InNamespace(ns), client.MatchingFields{"involvedObject.uid": string(ex.UID)})
			if err := view.Describe(c.out, ex, events.Items, time.Now(), s); err != nil {
				return problem(err)
			}
			if evErr != nil {
				fmt.Fprintf(c.err, "warning: events of %s/%s not listed: %v\n", ns, ex.Name, evErr)
			}
			return nil
		},
	}
	c.addColor(cmd)
	return cmd
}

func newHistory(c *cluster) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history PLAN",
		Short: "List a plan's executions from its status.executionHistory, newest first",
		Long: `List a DRPlan's executions as the operator records them in status.executionHistory (newest first, bounded
by spec.executionHistoryLimit), with the running execution, if any, on top.`,
		Example:           `  drplanctl history -n shop failover`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completePlans,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, cl, ns, err := c.connect()
			if err != nil {
				return err
			}
			plan := &drv1.DRPlan{}
			if err := cl.Get(cmd.Context(), client.ObjectKey{Namespace: ns, Name: args[0]}, plan); err != nil {
				return problem(fmt.Errorf("DRPlan %s/%s: %w", ns, args[0], err))
			}
			return problemOf(view.History(c.out, plan, time.Now(), s))
		},
	}
	c.addColor(cmd)
	return cmd
}

// problemOf makes a printing error a problem (exit status 1).
func problemOf(err error) error {
	if err == nil {
		return nil
	}
	return problem(err)
}

func ofPlan(plan string) string {
	if plan == "" {
		return ""
	}
	return " of plan " + plan
}

// completeExecutions offers the names of the executions in the namespace, for shell completion.
func (c *cluster) completeExecutions(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cl, ns, err := c.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	list, err := executionsOf(cmd.Context(), cl, ns, "")
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, ex := range list.Items {
		if strings.HasPrefix(ex.Name, prefix) {
			names = append(names, ex.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completePlans offers the names of the plans in the namespace, for shell completion.
func (c *cluster) completePlans(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cl, ns, err := c.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	list := &drv1.DRPlanList{}
	if err := cl.List(cmd.Context(), list, client.InNamespace(ns)); err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, p := range list.Items {
		if strings.HasPrefix(p.Name, prefix) {
			names = append(names, p.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
