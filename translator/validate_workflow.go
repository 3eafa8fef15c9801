package translator

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pass 1, admission: everything about a DRWorkflow that can be known before parameters are resolved. This
// file checks the workflow as a whole (parameters, executor, action names, dependencies); validate_action.go
// checks each action's body.

// IdempotencyHeader is sent with every HTTP action: "<execution uid>/<workflow>/<action>". Users may not set it.
const IdempotencyHeader = "X-DR-Idempotency-Key"

var (
	actionTypes                  = []string{string(v1alpha1.ActionTypeHTTP), string(v1alpha1.ActionTypeJob), string(v1alpha1.ActionTypeLocalization), string(v1alpha1.ActionTypeSubscription), string(v1alpha1.ActionTypeKubernetesResource), string(v1alpha1.ActionTypeApproval), string(v1alpha1.ActionTypeGlobalization)}
	resourceOperations           = []string{string(v1alpha1.OperationCreate), string(v1alpha1.OperationApply), string(v1alpha1.OperationPatch), string(v1alpha1.OperationDelete)}
	subscriptionOperations       = append(append([]string(nil), resourceOperations...), string(v1alpha1.OperationReplace))
	httpMethods                  = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	parameterTypes               = []string{string(v1alpha1.ParameterTypeString), string(v1alpha1.ParameterTypeNumber), string(v1alpha1.ParameterTypeBoolean)}
	workflowPolicies             = []string{string(v1alpha1.WorkflowFailFast), string(v1alpha1.WorkflowContinue)}
	planPolicies                 = []string{string(v1alpha1.PlanStop), string(v1alpha1.PlanContinue), string(v1alpha1.PlanRollback)}
	stagePolicies                = []string{string(v1alpha1.StageStop), string(v1alpha1.StageContinue), string(v1alpha1.StageFailFast)}
	executorTypes                = []string{string(v1alpha1.ExecutorArgo), string(v1alpha1.ExecutorNative)}
	podGCStrategies              = []string{"OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"}
	jobRestartPolicies           = []string{string(corev1.RestartPolicyNever), string(corev1.RestartPolicyOnFailure)}
	maxRetryLimit          int32 = 100
)

// ValidateWorkflow checks a DRWorkflow as admission and the reconciler need it: everything that can be known
// before parameters are resolved, once upstream's defaults are filled in (upstream.go). It returns every
// problem found, with paths starting at "spec".
func ValidateWorkflow(wf *v1alpha1.DRWorkflow) field.ErrorList {
	return validateWorkflow(withDefaults(wf))
}

// validateWorkflow is ValidateWorkflow of a workflow whose defaults are filled in.
func validateWorkflow(wf *v1alpha1.DRWorkflow) field.ErrorList {
	spec := field.NewPath("spec")
	errs := validateParameters(wf.Spec.Parameters, spec.Child("parameters"))
	if wf.Spec.FailurePolicy != "" && !contains(workflowPolicies, string(wf.Spec.FailurePolicy)) {
		errs = append(errs, field.NotSupported(spec.Child("failurePolicy"), wf.Spec.FailurePolicy, workflowPolicies))
	}
	errs = append(errs, validateExecutor(wf.Spec.Executor, spec.Child("executor"))...)
	errs = append(errs, validateActions(wf.Spec.Actions, wf.Spec.GetExecutorType(), spec.Child("actions"))...)
	return errs
}

// validateParameters checks declarations: names usable in templates, unique, known types, defaults of the
// declared type.
func validateParameters(params []v1alpha1.Parameter, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[string]bool, len(params))
	for i, prm := range params {
		p := path.Index(i)
		switch {
		case prm.Name == "":
			errs = append(errs, field.Required(p.Child("name"), ""))
		case !isParamName(prm.Name):
			errs = append(errs, field.Invalid(p.Child("name"), prm.Name, "must be a template identifier: a letter or '_' followed by letters, digits or '_', at most 63 characters"))
		case seen[prm.Name]:
			errs = append(errs, field.Duplicate(p.Child("name"), prm.Name))
		}
		seen[prm.Name] = true
		errs = append(errs, validateParamSource(prm.ValueFrom, p.Child("valueFrom"))...)
		if prm.Type != "" && !contains(parameterTypes, string(prm.Type)) {
			errs = append(errs, field.NotSupported(p.Child("type"), prm.Type, parameterTypes))
			continue
		}
		if prm.Default != nil {
			if reason := checkParamType(prm.GetType(), *prm.Default); reason != "" {
				errs = append(errs, field.Invalid(p.Child("default"), *prm.Default, reason))
			}
			if reason, found := findArgoPlaceholder(*prm.Default); found {
				errs = append(errs, field.Invalid(p.Child("default"), field.OmitValueType{}, reason))
			}
		}
	}
	return errs
}

// checkParamType returns why value is not of type t, or "" when it is. Values stay strings; this only checks.
func checkParamType(t v1alpha1.ParameterType, value string) string {
	switch t {
	case v1alpha1.ParameterTypeNumber:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "must be a number"
		}
	case v1alpha1.ParameterTypeBoolean:
		if value != "true" && value != "false" {
			return `must be "true" or "false"`
		}
	}
	return ""
}

// isParamName matches ^[A-Za-z_][A-Za-z0-9_]*$ with at most 63 characters.
func isParamName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// validateWhen checks the `when` of actions[i]: a run-time condition over the results of the actions it
// depends on (when.go), a template, or plain text that is "true", "false" or a mode expression (mode.go).
func validateWhen(actions []v1alpha1.Action, executor v1alpha1.ExecutorType, i int, path *field.Path) field.ErrorList {
	when := actions[i].When
	if isRuntimeWhen(when) {
		if _, reason := parseCondition(when, conditionScope{readable: readableBy(actions, executor, i)}); reason != "" {
			return field.ErrorList{field.Invalid(path, when, reason)}
		}
		return nil
	}
	if hasActions(when) {
		return checkUserString(path, when, true)
	}
	if _, ok := parseModeExpression(when); ok {
		return nil
	}
	if t := strings.TrimSpace(when); t == "true" || t == "false" {
		return nil
	}
	return field.ErrorList{field.Invalid(path, when,
		`must be a template rendering to "true" or "false" ({{ eq .params.x "y" }}), or a mode expression such as mode == "install" || mode == "upgrade"`)}
}

// validateParamValues checks supplied values: names set and unique, known types, no Argo placeholder in
// a default, valueFrom readable and not from a Secret (validateParamSource). Values are checked against types once resolved.
func validateParamValues(values []v1alpha1.ParamValue, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[string]bool, len(values))
	for i, v := range values {
		p := path.Index(i)
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(p.Child("name"), ""))
		case seen[v.Name]:
			errs = append(errs, field.Duplicate(p.Child("name"), v.Name))
		}
		seen[v.Name] = true
		if v.Type != "" && !contains(parameterTypes, string(v.Type)) {
			errs = append(errs, field.NotSupported(p.Child("type"), v.Type, parameterTypes))
		}
		if v.Default != nil {
			if reason, found := findArgoPlaceholder(*v.Default); found {
				errs = append(errs, field.Invalid(p.Child("default"), field.OmitValueType{}, reason))
			}
		}
		errs = append(errs, validateParamSource(v.ValueFrom, p.Child("valueFrom"))...)
		if v.ValueFrom != nil && v.Value != "" {
			errs = append(errs, field.Invalid(p.Child("value"), v.Value, "set value or valueFrom, not both"))
		}
	}
	return errs
}

func validateExecutor(ex *v1alpha1.ExecutorSpec, path *field.Path) field.ErrorList {
	if ex == nil {
		return nil
	}
	var errs field.ErrorList
	if ex.Type != "" && !contains(executorTypes, string(ex.Type)) {
		errs = append(errs, field.NotSupported(path.Child("type"), ex.Type, executorTypes))
	}
	if o := ex.ArgoOptions; o != nil {
		p := path.Child("argoOptions")
		if o.ServiceAccountName != "" {
			errs = append(errs, validateDNSSubdomain(o.ServiceAccountName, p.Child("serviceAccountName"))...)
		}
		if o.PodGC != nil && o.PodGC.Strategy != "" && !contains(podGCStrategies, o.PodGC.Strategy) {
			errs = append(errs, field.NotSupported(p.Child("podGC", "strategy"), o.PodGC.Strategy, podGCStrategies))
		}
		if t := o.TTLStrategy; t != nil {
			for name, v := range map[string]*int32{"secondsAfterCompletion": t.SecondsAfterCompletion, "secondsAfterSuccess": t.SecondsAfterSuccess, "secondsAfterFailure": t.SecondsAfterFailure} {
				if v != nil && *v < 0 {
					errs = append(errs, field.Invalid(p.Child("ttlStrategy", name), *v, "must not be negative"))
				}
			}
		}
	}
	return errs
}

// validateActions checks the action list: names, dependencies (unknown, self, duplicate, cycles), each
// action's body, `when`, and rollbacks.
func validateActions(actions []v1alpha1.Action, executor v1alpha1.ExecutorType, path *field.Path) field.ErrorList {
	if len(actions) == 0 {
		return field.ErrorList{field.Required(path, "a workflow needs at least one action")}
	}
	var errs field.ErrorList
	index := make(map[string]int, len(actions))
	for i, a := range actions {
		errs = append(errs, validateDNSLabel(a.Name, path.Index(i).Child("name"))...)
		if _, dup := index[a.Name]; dup {
			errs = append(errs, field.Duplicate(path.Index(i).Child("name"), a.Name))
		} else {
			index[a.Name] = i
		}
	}
	// Rollback names share the namespace of action names in reverse runs (an action without a custom
	// rollback is reverted under its own name), so they must not collide with another action or rollback.
	rollbackOwner := make(map[string]int)
	for i, a := range actions {
		if a.Rollback == nil {
			continue
		}
		p := path.Index(i).Child("rollback", "name")
		errs = append(errs, validateDNSLabel(a.Rollback.Name, p)...)
		if j, ok := index[a.Rollback.Name]; ok && j != i {
			errs = append(errs, field.Duplicate(p, a.Rollback.Name))
		} else if _, ok := rollbackOwner[a.Rollback.Name]; ok {
			errs = append(errs, field.Duplicate(p, a.Rollback.Name))
		}
		rollbackOwner[a.Rollback.Name] = i
	}

	graph := dependencyGraph{names: make([]string, len(actions)), deps: make([][]int, len(actions))}
	for i := range actions {
		a := &actions[i]
		p := path.Index(i)
		graph.names[i] = a.Name
		deps, depErrs := resolveDependsOn(a.Name, a.DependsOn, index, p.Child("dependsOn"), "action")
		graph.deps[i] = deps
		errs = append(errs, depErrs...)
		errs = append(errs, validateUpstreamAction(a, p)...)
		errs = append(errs, validateActionBody(&a.ActionBody, executor, p)...)
		if a.When != "" {
			errs = append(errs, validateWhen(actions, executor, i, p.Child("when"))...)
		}
		if op, ok := resourceOperation(&a.ActionBody); ok && op == v1alpha1.OperationPatch && a.Rollback == nil {
			errs = append(errs, field.Required(p.Child("rollback"),
				"a Patch action needs a custom rollback: the state before the patch is not recorded, so it has no automatic inverse"))
		}
		if a.Rollback != nil {
			errs = append(errs, validateActionBody(&a.Rollback.ActionBody, executor, p.Child("rollback"))...)
		}
	}
	if cycle := graph.findCycle(); cycle != nil {
		errs = append(errs, field.Invalid(path.Index(index[cycle[0]]).Child("dependsOn"), field.OmitValueType{},
			"dependency cycle: "+strings.Join(cycle, " -> ")))
	}
	return errs
}

// resolveDependsOn maps dependency names to indexes, reporting unknown, self and repeated entries under
// path. what is "action" or "stage", for messages.
func resolveDependsOn(self string, dependsOn []string, index map[string]int, path *field.Path, what string) ([]int, field.ErrorList) {
	var errs field.ErrorList
	var deps []int
	seen := make(map[string]bool, len(dependsOn))
	for k, dep := range dependsOn {
		j, ok := index[dep]
		switch {
		case dep == self:
			errs = append(errs, field.Invalid(path.Index(k), dep, fmt.Sprintf("an %s cannot depend on itself", what)))
		case !ok:
			errs = append(errs, field.NotFound(path.Index(k), dep))
		case seen[dep]:
			errs = append(errs, field.Duplicate(path.Index(k), dep))
		default:
			deps = append(deps, j)
		}
		seen[dep] = true
	}
	return deps, errs
}

func validateDNSLabel(s string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(s) {
		errs = append(errs, field.Invalid(path, s, msg))
	}
	return errs
}

func validateDNSSubdomain(s string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(s) {
		errs = append(errs, field.Invalid(path, s, msg))
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
