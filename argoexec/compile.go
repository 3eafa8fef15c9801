package argoexec

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/translator"
)

// TranslatorCompiler compiles runs with the translator: the run's IR, then EmitArgo.
type TranslatorCompiler struct {
	// Options of EmitArgo.
	Options translator.EmitOptions
}

// Name is the translator's deterministic Workflow name of the run.
func (c TranslatorCompiler) Name(run *engine.Run) string { return run.WorkflowName() }

// Compile builds the run's IR and emits its Argo Workflow.
func (c TranslatorCompiler) Compile(run *engine.Run) (*wfv1.Workflow, error) {
	ir, err := run.BuildIR()
	if err != nil {
		return nil, err
	}
	return translator.EmitArgo(ir, c.Options)
}
