package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/drplan/drplan-operator/translator"
)

const usage = `drplanctl translates and validates DR objects offline.

Usage:
  drplanctl translate -f FILE [-f FILE...] [--argo-validate=false]
      Print, for every DRPlanExecution in the files, the Argo Workflows the operator would create, as YAML
      documents separated by "---" (ready for argo lint / argo submit). Execute: one Workflow per workflow
      entry of every stage. Revert: the reverse run; when the reverted execution is in the files with its
      status, its recorded params and action statuses are used, else every action counts as Succeeded.
  drplanctl validate -f FILE [-f FILE...]
      Check every DRWorkflow, DRPlan and DRPlanExecution (resolving params and rendering templates for every
      execution, as translate would) and print one line per problem: object, field, reason.

FILE may be "-" for standard input; files hold multi-document YAML. Objects without a namespace are in
"default". Exit status: 0 when all is well, 1 on any problem, 2 on bad usage.
`

// fileList is a repeatable -f flag.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

// run is the whole command, with its streams injected for tests. It returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd := args[0]
	fs := flag.NewFlagSet("drplanctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	var files fileList
	fs.Var(&files, "f", "YAML file to read (repeatable; - for stdin)")
	argoValidate := fs.Bool("argo-validate", true, "translate: also run Argo's own validator on every Workflow")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	files = append(files, fs.Args()...) // "-f a b c" reads b and c too
	if len(files) == 0 {
		fmt.Fprintf(stderr, "drplanctl %s: no input: give -f FILE (or - for stdin)\n", cmd)
		return 2
	}
	objs, err := readFiles(files, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	switch cmd {
	case "translate":
		return translate(objs, *argoValidate, stdout, stderr)
	case "validate":
		return validate(objs, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "drplanctl: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
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
