package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/drplan/drplan-operator/translator"
)

// usageError is bad usage found after parsing (exit status 2), printed as is.
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// addFiles adds the repeatable -f flag; files after the flags count too ("-f a b c" reads b and c).
func addFiles(cmd *cobra.Command, files *[]string) {
	cmd.Flags().StringArrayVarP(files, "filename", "f", nil, `YAML file to read (repeatable; "-" for standard input)`)
}

// inputs reads every file given; no file at all is bad usage.
func inputs(cmd *cobra.Command, files, args []string, in io.Reader) (*translator.Objects, error) {
	files = append(files, args...)
	if len(files) == 0 {
		return nil, usageError("drplanctl %s: no input: give -f FILE (or - for stdin)", cmd.Name())
	}
	objs, err := readFiles(files, in)
	if err != nil {
		return nil, problem(err)
	}
	return objs, nil
}

func newTranslate(s streams) *cobra.Command {
	var files []string
	var argoValidate bool
	cmd := &cobra.Command{
		Use:   "translate -f FILE [-f FILE...]",
		Short: "Print the Argo Workflows the operator would create for every DRPlanExecution in the files",
		Long: `Print, for every DRPlanExecution in the files, the Argo Workflows the operator would create, as YAML
documents separated by "---" (ready for argo lint / argo submit). Execute: one Workflow per workflow entry of
every stage. Revert: the reverse run; when the reverted execution is in the files with its status, its recorded
params and action statuses are used, else every action counts as Succeeded.

FILE may be "-" for standard input; files hold multi-document YAML. Objects without a namespace are in
"default". Exit status: 0 when all is well, 1 on any problem, 2 on bad usage.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := inputs(cmd, files, args, s.in)
			if err != nil {
				return err
			}
			return exitCode(translate(objs, argoValidate, s.out, s.err))
		},
	}
	addFiles(cmd, &files)
	cmd.Flags().BoolVar(&argoValidate, "argo-validate", true, "also run Argo's own validator on every Workflow")
	return cmd
}

func newValidate(s streams) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "validate -f FILE [-f FILE...]",
		Short: "Check DRWorkflows, DRPlans and DRPlanExecutions and print every problem",
		Long: `Check every DRWorkflow, DRPlan and DRPlanExecution (resolving params and rendering templates for every
execution, as translate would) and print one line per problem: object, field, reason.

FILE may be "-" for standard input; files hold multi-document YAML. Objects without a namespace are in
"default". Exit status: 0 when all is well, 1 on any problem, 2 on bad usage.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := inputs(cmd, files, args, s.in)
			if err != nil {
				return err
			}
			return exitCode(validate(objs, s.out, s.err))
		},
	}
	addFiles(cmd, &files)
	return cmd
}

// exitCode turns the status of a command that printed its own problems into an error for run.
func exitCode(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}

// readFiles decodes every file into one set of objects; "-" is stdin (read once).
func readFiles(files []string, stdin io.Reader) (*translator.Objects, error) {
	objs := &translator.Objects{}
	stdinRead := false
	for _, name := range files {
		if name == "-" {
			if stdinRead {
				continue
			}
			stdinRead = true
			if err := objs.ReadObjects(stdin, "<stdin>"); err != nil {
				return nil, err
			}
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		err = objs.ReadObjects(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return objs, nil
}

func translate(objs *translator.Objects, argoValidate bool, stdout, stderr io.Writer) int {
	if len(objs.Executions) == 0 {
		fmt.Fprintln(stderr, "drplanctl translate: no DRPlanExecution in the input: nothing to translate")
		return 1
	}
	failed := false
	first := true
	for _, exec := range objs.Executions {
		wfs, err := objs.TranslateExecution(exec, translator.EmitOptions{Validate: argoValidate})
		if err != nil {
			failed = true
			printError(stderr, err)
			continue
		}
		out, err := translator.MarshalWorkflowsYAML(wfs)
		if err != nil {
			failed = true
			fmt.Fprintln(stderr, err)
			continue
		}
		if len(out) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(stdout, "---")
		}
		first = false
		stdout.Write(out)
	}
	if failed {
		return 1
	}
	return 0
}

func validate(objs *translator.Objects, stdout, stderr io.Writer) int {
	problems := objs.Validate()
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	if len(problems) > 0 {
		return 1
	}
	fmt.Fprintf(stderr, "ok: %d DRWorkflow(s), %d DRPlan(s), %d DRPlanExecution(s)\n", len(objs.Workflows), len(objs.Plans), len(objs.Executions))
	return 0
}

// printError prints one line per problem of a translation error.
func printError(w io.Writer, err error) {
	var te *translator.TranslateError
	if errors.As(err, &te) {
		for _, p := range te.Problems {
			fmt.Fprintln(w, p.String())
		}
		return
	}
	fmt.Fprintln(w, err)
}
