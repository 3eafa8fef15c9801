package translator

// Names shared by the compiled Argo Workflow and the code that reads it back (argoexec). Changing one of
// these changes how running Workflows are read, so they are kept in one place.
const (
	// AnnotationTaskActions holds a JSON object mapping each DAG task name to the action it runs
	// (task names are sanitised; action names of a reverse run are the rollback actions' names).
	AnnotationTaskActions = "dr.bkbcs.tencent.com/task-actions"

	// AnnotationApplyTargets holds a JSON object mapping the name of each `apply` resource template (other
	// than a Job action's) to the UID its object had just before the Workflow was created: "" when it did not
	// exist. argoexec writes it (the translator stays pure); an Apply whose object's UID after the call differs
	// created it, so the automatic inverse deletes it. A template missing from the map (the lookup was denied)
	// counts as not created: the object is left in place rather than a pre-existing one deleted.
	AnnotationApplyTargets = "dr.bkbcs.tencent.com/apply-targets"

	// EntrypointTemplate is the name of the DAG template every compiled Workflow starts at.
	EntrypointTemplate = "main"

	// Output parameter names set on resource templates (from the created object) and read back into
	// ActionStatus.outputs.
	OutputAPIVersion = "apiVersion"
	OutputKind       = "kind"
	OutputNamespace  = "namespace"
	OutputName       = "name"
	OutputUID        = "uid"
)

// HTTP templates declare no output parameters: Argo's agent (v3.7, workflow/executor/agent.go) returns the
// response body as the node's outputs.result and nothing else. The status code is not reported; a failed
// successCondition surfaces in the node's message instead, so there is no OutputStatusCode.
