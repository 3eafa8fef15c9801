package translator

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// readObjects loads every YAML file given into one Objects.
func readObjects(t testing.TB, files ...string) *Objects {
	t.Helper()
	objs := &Objects{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		err = objs.ReadObjects(fh, f)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return objs
}

// translateAll translates every execution, failing the test on any problem, and checks every Workflow with
// Argo's validator.
func translateAll(t testing.TB, objs *Objects) []*wfv1.Workflow {
	t.Helper()
	var all []*wfv1.Workflow
	for _, e := range objs.Executions {
		wfs, err := objs.TranslateExecution(e, EmitOptions{})
		if err != nil {
			t.Fatalf("translating %s: %v", e.Name, err)
		}
		all = append(all, wfs...)
	}
	for _, wf := range all {
		if err := validateWithArgo(wf); err != nil {
			t.Errorf("Argo rejects %s: %v", wf.Name, err)
		}
	}
	return all
}

// TestGolden translates testdata/<case>/input.yaml and compares the Workflows with
// testdata/<case>/expected.yaml. `go test ./translator -update` rewrites the expected files.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden cases under testdata/")
	}
	for _, input := range inputs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			wfs := translateAll(t, readObjects(t, input))
			got, err := MarshalWorkflowsYAML(wfs)
			if err != nil {
				t.Fatal(err)
			}
			expectedPath := filepath.Join(dir, "expected.yaml")
			if *update {
				if err := os.WriteFile(expectedPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(expectedPath)
			if err != nil {
				t.Fatalf("%v (run go test ./translator -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", expectedPath, diff)
			}
		})
	}
}

// TestExamples translates every example under examples/ (all files together: the revert example reverts the
// quickstart run) and checks the Workflows with Argo's validator.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples found under examples/")
	}
	objs := readObjects(t, files...)
	if problems := objs.Validate(); len(problems) > 0 {
		t.Fatalf("examples have problems: %v", problems)
	}
	if len(objs.Executions) == 0 {
		t.Fatal("examples contain no DRPlanExecution")
	}
	wfs := translateAll(t, objs)
	if len(wfs) == 0 {
		t.Fatal("examples produced no Workflow")
	}
}
