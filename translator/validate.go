package translator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// IdempotencyHeader is sent with every HTTP action: "<execution uid>/<workflow>/<action>". Users may not set it.
const IdempotencyHeader = "X-DR-Idempotency-Key"

var (
	actionTypes              = []string{string(v1alpha1.ActionTypeHTTP), string(v1alpha1.ActionTypeJob), string(v1alpha1.ActionTypeLocalization), string(v1alpha1.ActionTypeSubscription), string(v1alpha1.ActionTypeKubernetesResource)}
	resourceOperations       = []string{string(v1alpha1.OperationCreate), string(v1alpha1.OperationApply), string(v1alpha1.OperationPatch), string(v1alpha1.OperationDelete)}
	httpMethods              = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	parameterTypes           = []string{string(v1alpha1.ParameterTypeString), string(v1alpha1.ParameterTypeNumber), string(v1alpha1.ParameterTypeBoolean)}
	workflowPolicies         = []string{string(v1alpha1.WorkflowFailFast), string(v1alpha1.WorkflowContinue)}
	planPolicies             = []string{string(v1alpha1.PlanStop), string(v1alpha1.PlanContinue), string(v1alpha1.PlanRollback)}
	executorTypes            = []string{string(v1alpha1.ExecutorArgo), string(v1alpha1.ExecutorNative)}
	podGCStrategies          = []string{"OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"}
	jobRestartPolicies       = []string{string(corev1.RestartPolicyNever), string(corev1.RestartPolicyOnFailure)}
	maxRetryLimit      int32 = 100
)

// ValidateWorkflow checks a DRWorkflow as admission and the reconciler need it: everything that can be known
// before parameters are resolved. It returns every problem found, with paths starting at "spec".
func ValidateWorkflow(wf *v1alpha1.DRWorkflow) field.ErrorList {
	return validateWorkflow(wf, nil)
}

// validateWorkflow is ValidateWorkflow keeping parsed templates in cache (nil: none) for rendering after.
func validateWorkflow(wf *v1alpha1.DRWorkflow, cache *compileCache) field.ErrorList {
	spec := field.NewPath("spec")
	errs := validateParameters(wf.Spec.Parameters, spec.Child("parameters"))
	if wf.Spec.FailurePolicy != "" && !contains(workflowPolicies, string(wf.Spec.FailurePolicy)) {
		errs = append(errs, field.NotSupported(spec.Child("failurePolicy"), wf.Spec.FailurePolicy, workflowPolicies))
	}
	errs = append(errs, validateExecutor(wf.Spec.Executor, spec.Child("executor"))...)
	errs = append(errs, validateActions(wf.Spec.Actions, wf.Spec.GetExecutorType(), spec.Child("actions"), cache)...)
	return errs
}

// ValidatePlan checks a DRPlan on its own (referenced workflows are the caller's business): stage names,
// stage dependencies, workflow references and parameter names.
func ValidatePlan(plan *v1alpha1.DRPlan) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if plan.Spec.FailurePolicy != "" && !contains(planPolicies, string(plan.Spec.FailurePolicy)) {
		errs = append(errs, field.NotSupported(spec.Child("failurePolicy"), plan.Spec.FailurePolicy, planPolicies))
	}
	if l := plan.Spec.ExecutionHistoryLimit; l != nil && (*l < 1 || *l > 100) {
		errs = append(errs, field.Invalid(spec.Child("executionHistoryLimit"), *l, "must be between 1 and 100"))
	}
	errs = append(errs, validateParamValues(plan.Spec.GlobalParams, spec.Child("globalParams"))...)

	stagesPath := spec.Child("stages")
	if len(plan.Spec.Stages) == 0 {
		return append(errs, field.Required(stagesPath, "a plan needs at least one stage"))
	}
	index := make(map[string]int, len(plan.Spec.Stages))
	for i, st := range plan.Spec.Stages {
		p := stagesPath.Index(i)
		errs = append(errs, validateDNSLabel(st.Name, p.Child("name"))...)
		if _, dup := index[st.Name]; dup {
			errs = append(errs, field.Duplicate(p.Child("name"), st.Name))
		} else {
			index[st.Name] = i
		}
		if len(st.Workflows) == 0 {
			errs = append(errs, field.Required(p.Child("workflows"), "a stage needs at least one workflow"))
		}
		for j, entry := range st.Workflows {
			ep := p.Child("workflows").Index(j)
			ref := ep.Child("workflowRef")
			if entry.WorkflowRef.Name == "" {
				errs = append(errs, field.Required(ref.Child("name"), "the DRWorkflow to run"))
			} else {
				errs = append(errs, validateDNSSubdomain(entry.WorkflowRef.Name, ref.Child("name"))...)
			}
			if entry.WorkflowRef.Namespace != "" {
				errs = append(errs, validateDNSLabel(entry.WorkflowRef.Namespace, ref.Child("namespace"))...)
			}
			errs = append(errs, validateParamValues(entry.Params, ep.Child("params"))...)
		}
	}
	graph := dependencyGraph{names: make([]string, len(plan.Spec.Stages)), deps: make([][]int, len(plan.Spec.Stages))}
	for i, st := range plan.Spec.Stages {
		graph.names[i] = st.Name
		deps, depErrs := resolveDependsOn(st.Name, st.DependsOn, index, func() *field.Path { return stagesPath.Index(i).Child("dependsOn") }, "stage", nil)
		graph.deps[i] = deps
		errs = append(errs, depErrs...)
	}
	if cycle := graph.findCycle(); cycle != nil {
		errs = append(errs, field.Invalid(stagesPath.Index(index[cycle[0]]).Child("dependsOn"), field.OmitValueType{},
			"dependency cycle: "+strings.Join(cycle, " -> ")))
	}
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

// validateParamValues checks supplied values: names set and unique.
func validateParamValues(values []v1alpha1.ParamValue, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := make(map[string]bool, len(values))
	for i, v := range values {
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(path.Index(i).Child("name"), ""))
		case seen[v.Name]:
			errs = append(errs, field.Duplicate(path.Index(i).Child("name"), v.Name))
		}
		seen[v.Name] = true
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
func validateActions(actions []v1alpha1.Action, executor v1alpha1.ExecutorType, path *field.Path, cache *compileCache) field.ErrorList {
	var errs field.ErrorList
	if len(actions) == 0 {
		return field.ErrorList{field.Required(path, "a workflow needs at least one action")}
	}
	index := make(map[string]int, len(actions))
	for i := range actions {
		a := &actions[i]
		if !isDNSLabel(a.Name) {
			errs = append(errs, validateDNSLabel(a.Name, path.Index(i).Child("name"))...)
		}
		if _, dup := index[a.Name]; dup {
			errs = append(errs, field.Duplicate(path.Index(i).Child("name"), a.Name))
		} else {
			index[a.Name] = i
		}
	}
	// Rollback names share the namespace of action names in reverse runs (an action without a custom
	// rollback is reverted under its own name), so they must not collide with another action or rollback.
	rollbackOwner := make(map[string]int)
	for i := range actions {
		a := &actions[i]
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
	// Every action's dependency indexes share one allocation, each action's slice capped to its own part.
	total := 0
	for i := range actions {
		total += len(actions[i].DependsOn)
	}
	depSlab := make([]int, total)
	for i := range actions {
		a := &actions[i]
		p := path.Index(i)
		graph.names[i] = a.Name
		n := len(a.DependsOn)
		deps, depErrs := resolveDependsOn(a.Name, a.DependsOn, index, func() *field.Path { return p.Child("dependsOn") }, "action", depSlab[:0:n])
		depSlab = depSlab[n:]
		// (the dependsOn path is one allocation per action; per-entry paths are built only for errors)
		graph.deps[i] = deps
		errs = append(errs, depErrs...)
		errs = append(errs, validateActionBody(&a.ActionBody, executor, p, cache)...)
		if a.When != "" {
			errs = append(errs, checkUserString(p.Child("when"), a.When, true, cache)...)
		}
		if op, ok := resourceOperation(&a.ActionBody); ok && op == v1alpha1.OperationPatch && a.Rollback == nil {
			errs = append(errs, field.Required(p.Child("rollback"),
				"a Patch action needs a custom rollback: the state before the patch is not recorded, so it has no automatic inverse"))
		}
		if a.Rollback != nil {
			errs = append(errs, validateActionBody(&a.Rollback.ActionBody, executor, p.Child("rollback"), cache)...)
		}
	}
	if cycle := graph.findCycle(); cycle != nil {
		errs = append(errs, field.Invalid(path.Index(index[cycle[0]]).Child("dependsOn"), field.OmitValueType{},
			"dependency cycle: "+strings.Join(cycle, " -> ")))
	}
	return errs
}

// resolveDependsOn maps dependency names to indexes, reporting unknown, self and repeated entries.
// what is "action" or "stage", for messages. The indexes are appended to buf (when it has room for all of
// them). at builds the dependsOn path; like the other validators taking
// a path function, it is called only for an error (a path costs an allocation, per action).
func resolveDependsOn(self string, dependsOn []string, index map[string]int, at func() *field.Path, what string, buf []int) ([]int, field.ErrorList) {
	var errs field.ErrorList
	deps := buf[:0]
	if cap(deps) < len(dependsOn) {
		deps = make([]int, 0, len(dependsOn))
	}
	seen := make(map[string]bool, len(dependsOn)) // small: stays on the stack
	for k, dep := range dependsOn {
		j, ok := index[dep]
		switch {
		case dep == self:
			errs = append(errs, field.Invalid(at().Index(k), dep, fmt.Sprintf("an %s cannot depend on itself", what)))
		case !ok:
			errs = append(errs, field.NotFound(at().Index(k), dep))
		case seen[dep]:
			errs = append(errs, field.Duplicate(at().Index(k), dep))
		default:
			deps = append(deps, j)
		}
		seen[dep] = true
	}
	return deps, errs
}

// validateActionBody checks what actions and rollbacks share: type, the one matching config block, limits,
// the config itself and every user string in it (validateRendered checks again what rendering changes).
func validateActionBody(body *v1alpha1.ActionBody, executor v1alpha1.ExecutorType, path *field.Path, cache *compileCache) field.ErrorList {
	var errs field.ErrorList
	if !contains(actionTypes, string(body.Type)) {
		errs = append(errs, field.NotSupported(path.Child("type"), body.Type, actionTypes))
	}
	blocks := []struct {
		name  string
		typ   v1alpha1.ActionType
		isSet bool
	}{
		{"http", v1alpha1.ActionTypeHTTP, body.HTTP != nil},
		{"job", v1alpha1.ActionTypeJob, body.Job != nil},
		{"localization", v1alpha1.ActionTypeLocalization, body.Localization != nil},
		{"subscription", v1alpha1.ActionTypeSubscription, body.Subscription != nil},
		{"resource", v1alpha1.ActionTypeKubernetesResource, body.Resource != nil},
	}
	configOK := true
	for _, b := range blocks {
		switch {
		case b.typ == body.Type && !b.isSet:
			errs = append(errs, field.Required(path.Child(b.name), fmt.Sprintf("type %s needs its %s block", body.Type, b.name)))
			configOK = false
		case b.typ != body.Type && b.isSet:
			errs = append(errs, field.Forbidden(path.Child(b.name), fmt.Sprintf("must not be set when type is %q", body.Type)))
			configOK = false
		}
	}
	if body.Timeout != nil && body.Timeout.Duration <= 0 {
		errs = append(errs, field.Invalid(path.Child("timeout"), body.Timeout.Duration.String(), "must be a positive duration such as 30s or 5m"))
	}
	errs = append(errs, validateRetryPolicy(body.RetryPolicy, executor, func() *field.Path { return path.Child("retryPolicy") })...)
	if !configOK {
		return errs
	}
	switch body.Type {
	case v1alpha1.ActionTypeHTTP:
		errs = append(errs, validateHTTP(body.HTTP, path.Child("http"))...)
	case v1alpha1.ActionTypeJob:
		errs = append(errs, validateJob(body.Job, path.Child("job"), cache)...)
	case v1alpha1.ActionTypeLocalization:
		l := body.Localization
		errs = append(errs, validateClusternet(l.Operation, l.Name, l.Namespace, l.Spec != nil, true, func() *field.Path { return path.Child("localization") })...)
		errs = append(errs, validateObjectSpec(l.Spec, func() *field.Path { return path.Child("localization", "spec") })...)
	case v1alpha1.ActionTypeSubscription:
		s := body.Subscription
		errs = append(errs, validateClusternet(s.Operation, s.Name, s.Namespace, s.Spec != nil, true, func() *field.Path { return path.Child("subscription") })...)
		errs = append(errs, validateObjectSpec(s.Spec, func() *field.Path { return path.Child("subscription", "spec") })...)
	case v1alpha1.ActionTypeKubernetesResource:
		errs = append(errs, validateResource(body.Resource, path.Child("resource"))...)
	}
	errs = append(errs, visitActionStrings(body, func() *field.Path { return path }, visitOptions{cache: cache, pure: true}, func(s string, tmpl bool) (string, error) {
		return s, checkString(s, tmpl, cache)
	})...)
	return errs
}

// validateRendered checks what rendering can change in a config block: the rendered strings that must
// be names, and required strings that may have rendered empty. Everything else was checked before
// rendering and cannot change (keys, numbers, structure, literal text).
func validateRendered(body *v1alpha1.ActionBody, at func() *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case body.HTTP != nil:
		if body.HTTP.URL == "" {
			errs = append(errs, field.Required(at().Child("http", "url"), "rendered empty"))
		}
	case body.Job != nil:
		j := body.Job
		if j.Namespace != "" && !isDNSLabel(j.Namespace) {
			errs = append(errs, validateDNSLabel(j.Namespace, at().Child("job", "namespace"))...)
		}
		for _, k := range sortedKeys(j.Template.Metadata.Labels) {
			for _, msg := range validation.IsValidLabelValue(j.Template.Metadata.Labels[k]) {
				errs = append(errs, field.Invalid(at().Child("job", "template", "metadata", "labels").Key(k), j.Template.Metadata.Labels[k], msg))
			}
		}
	case body.Localization != nil:
		errs = append(errs, validateClusternet(body.Localization.Operation, body.Localization.Name, body.Localization.Namespace, true, false, func() *field.Path { return at().Child("localization") })...)
	case body.Subscription != nil:
		errs = append(errs, validateClusternet(body.Subscription.Operation, body.Subscription.Name, body.Subscription.Namespace, true, false, func() *field.Path { return at().Child("subscription") })...)
	}
	return errs
}

func validateRetryPolicy(rp *v1alpha1.RetryPolicy, executor v1alpha1.ExecutorType, at func() *field.Path) field.ErrorList {
	if rp == nil {
		return nil
	}
	var errs field.ErrorList
	if rp.Limit < 0 || rp.Limit > maxRetryLimit {
		errs = append(errs, field.Invalid(at().Child("limit"), rp.Limit, fmt.Sprintf("must be between 0 and %d", maxRetryLimit)))
	}
	if rp.Interval != nil && rp.Interval.Duration < 0 {
		errs = append(errs, field.Invalid(at().Child("interval"), rp.Interval.Duration.String(), "must not be negative"))
	}
	if rp.BackoffMultiplier != "" {
		f, err := strconv.ParseFloat(rp.BackoffMultiplier, 64)
		switch {
		case err != nil || math.IsInf(f, 0) || math.IsNaN(f):
			errs = append(errs, field.Invalid(at().Child("backoffMultiplier"), rp.BackoffMultiplier, `must be a decimal number such as "2.0"`))
		case f < 1:
			errs = append(errs, field.Invalid(at().Child("backoffMultiplier"), rp.BackoffMultiplier, "must be at least 1"))
		case f != math.Trunc(f) && executor != v1alpha1.ExecutorNative:
			// Argo's retryStrategy.backoff.factor is an integer; refuse rather than silently round.
			errs = append(errs, field.Invalid(at().Child("backoffMultiplier"), rp.BackoffMultiplier,
				"must be a whole number (such as \"2.0\") unless spec.executor.type is Native: Argo's backoff factor is an integer"))
		case f > 1000:
			errs = append(errs, field.Invalid(at().Child("backoffMultiplier"), rp.BackoffMultiplier, "must be at most 1000"))
		}
	}
	return errs
}

func validateHTTP(h *v1alpha1.HTTPAction, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if h.URL == "" {
		errs = append(errs, field.Required(path.Child("url"), ""))
	}
	if !contains(httpMethods, h.GetMethod()) {
		errs = append(errs, field.NotSupported(path.Child("method"), h.Method, httpMethods))
	}
	var names []string // header names seen; a handful at most, compared case-insensitively
	var stack [8]string
	for _, k := range sortedKeysInto(stack[:0], h.Headers) {
		errs = append(errs, validateHeaderName(k, func() *field.Path { return path.Child("headers").Key(k) }, &names)...)
	}
	for i, hf := range h.HeadersFrom {
		p := path.Child("headersFrom").Index(i)
		errs = append(errs, validateHeaderName(hf.Name, func() *field.Path { return p.Child("name") }, &names)...)
		ref := p.Child("valueFrom", "secretKeyRef")
		if hf.ValueFrom.SecretKeyRef.Name == "" {
			errs = append(errs, field.Required(ref.Child("name"), "the Secret holding the value"))
		} else {
			errs = append(errs, validateDNSSubdomain(hf.ValueFrom.SecretKeyRef.Name, ref.Child("name"))...)
		}
		if hf.ValueFrom.SecretKeyRef.Key == "" {
			errs = append(errs, field.Required(ref.Child("key"), "the key of the Secret holding the value"))
		}
	}
	for i, c := range h.SuccessCodes {
		if c < 100 || c > 599 {
			errs = append(errs, field.Invalid(path.Child("successCodes").Index(i), c, "must be an HTTP status code between 100 and 599"))
		}
	}
	return errs
}

// validateHeaderName checks an HTTP header name is a token, is not the reserved idempotency header and is
// not given twice (header names are case-insensitive).
func validateHeaderName(name string, path func() *field.Path, seen *[]string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path(), "a header name")}
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return field.ErrorList{field.Invalid(path(), name, "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")}
		}
	}
	if strings.EqualFold(name, IdempotencyHeader) {
		return field.ErrorList{field.Forbidden(path(), IdempotencyHeader+" is set by the operator")}
	}
	for _, s := range *seen {
		if strings.EqualFold(s, name) {
			return field.ErrorList{field.Duplicate(path(), name)}
		}
	}
	*seen = append(*seen, name)
	return nil
}

func validateJob(j *v1alpha1.JobAction, path *field.Path, cache *compileCache) field.ErrorList {
	var errs field.ErrorList
	template := !j.Literal
	if j.Namespace != "" && !isTemplated(j.Namespace, true) && !isDNSLabel(j.Namespace) {
		errs = append(errs, validateDNSLabel(j.Namespace, path.Child("namespace"))...)
	}
	tp := path.Child("template")
	for _, k := range sortedKeys(j.Template.Metadata.Labels) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(tp.Child("metadata", "labels").Key(k), k, msg))
		}
		v := j.Template.Metadata.Labels[k]
		if !isTemplated(v, template) {
			for _, msg := range validation.IsValidLabelValue(v) {
				errs = append(errs, field.Invalid(tp.Child("metadata", "labels").Key(k), v, msg))
			}
		}
	}
	for _, k := range sortedKeys(j.Template.Metadata.Annotations) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(tp.Child("metadata", "annotations").Key(k), k, msg))
		}
	}
	// Template text can only sit in JSON strings, so the spec decodes strictly before rendering, and
	// rendering (strings only) cannot change its structure: it is checked once, unrendered.
	raw := j.Template.Spec.Raw
	if cache != nil && cache.jobSpecsOK[string(raw)] {
		return errs
	}
	specErrs := checkJobSpec(raw, tp.Child("spec"))
	if cache != nil && len(specErrs) == 0 {
		cache.jobSpecsOK[string(raw)] = true
	}
	return append(errs, specErrs...)
}

// checkJobSpec decodes raw strictly into a batch/v1 JobSpec (unknown or duplicate fields are errors) and
// checks what the API server would refuse later: a pod template with containers and a Job restart policy.
func checkJobSpec(raw []byte, path *field.Path) field.ErrorList {
	if len(raw) == 0 || string(raw) == "null" {
		return field.ErrorList{field.Required(path, "a batch/v1 JobSpec")}
	}
	var spec batchv1.JobSpec
	strictErrs, err := sigsjson.UnmarshalStrict(raw, &spec)
	if err != nil {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "not a batch/v1 JobSpec: "+err.Error())}
	}
	var errs field.ErrorList
	for _, se := range strictErrs {
		errs = append(errs, field.Invalid(path, field.OmitValueType{}, "not a batch/v1 JobSpec: "+se.Error()))
	}
	if len(spec.Template.Spec.Containers) == 0 {
		errs = append(errs, field.Required(path.Child("template", "spec", "containers"), "a Job needs at least one container"))
	}
	if rp := spec.Template.Spec.RestartPolicy; rp != "" && !contains(jobRestartPolicies, string(rp)) {
		errs = append(errs, field.NotSupported(path.Child("template", "spec", "restartPolicy"), rp, jobRestartPolicies))
	}
	return errs
}

// validateClusternet checks the fields Localization and Subscription actions share; at builds the block's
// path, for errors only.
func validateClusternet(op v1alpha1.ResourceOperation, name, namespace string, hasSpec, template bool, at func() *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !contains(resourceOperations, string(op)) {
		errs = append(errs, field.NotSupported(at().Child("operation"), op, resourceOperations))
	}
	if name == "" {
		errs = append(errs, field.Required(at().Child("name"), ""))
	} else if !isTemplated(name, template) && !isDNSSubdomain(name) {
		errs = append(errs, validateDNSSubdomain(name, at().Child("name"))...)
	}
	if namespace == "" {
		errs = append(errs, field.Required(at().Child("namespace"), "the child cluster's clusternet-xxxxx namespace"))
	} else if !isTemplated(namespace, template) && !isDNSLabel(namespace) {
		errs = append(errs, validateDNSLabel(namespace, at().Child("namespace"))...)
	}
	if !hasSpec && op != v1alpha1.OperationDelete {
		errs = append(errs, field.Required(at().Child("spec"), fmt.Sprintf("required when operation is %s", op)))
	}
	return errs
}

// validateObjectSpec checks a free-form spec, when given, is a JSON object.
func validateObjectSpec(raw *runtime.RawExtension, at func() *field.Path) field.ErrorList {
	if raw == nil {
		return nil
	}
	if trimmed := bytes.TrimSpace(raw.Raw); len(trimmed) == 0 || trimmed[0] != '{' {
		return field.ErrorList{field.Invalid(at(), field.OmitValueType{}, "must be an object")}
	}
	return nil
}

func validateResource(r *v1alpha1.ResourceAction, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !contains(resourceOperations, string(r.Operation)) {
		errs = append(errs, field.NotSupported(path.Child("operation"), r.Operation, resourceOperations))
	}
	if r.Manifest == "" {
		return append(errs, field.Required(path.Child("manifest"), ""))
	}
	// A templated manifest is parsed once rendered, by the request builder.
	if !isTemplated(r.Manifest, !r.Literal) {
		if _, err := parseManifest(r.Manifest); err != nil {
			errs = append(errs, field.Invalid(path.Child("manifest"), field.OmitValueType{}, err.Error()))
		}
	}
	return errs
}

// manifestObject is what a resource action needs to know about its manifest.
type manifestObject struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	Object     map[string]any
}

// parseManifest reads a single YAML object with apiVersion, kind and metadata.name.
func parseManifest(manifest string) (*manifestObject, error) {
	obj, ok := parseManifestFast(manifest)
	if !ok {
		var err error
		if obj, err = parseManifestGeneral(manifest); err != nil {
			return nil, err
		}
	}
	m := &manifestObject{Object: obj}
	m.APIVersion, _ = obj["apiVersion"].(string)
	m.Kind, _ = obj["kind"].(string)
	if md, ok := obj["metadata"].(map[string]any); ok {
		m.Name, _ = md["name"].(string)
		m.Namespace, _ = md["namespace"].(string)
	}
	var missing []string
	if m.APIVersion == "" {
		missing = append(missing, "apiVersion")
	}
	if m.Kind == "" {
		missing = append(missing, "kind")
	}
	if m.Name == "" {
		missing = append(missing, "metadata.name")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("must set %s", strings.Join(missing, ", "))
	}
	return m, nil
}

// parseManifestGeneral reads any YAML manifest the way the Kubernetes libraries do: yaml.v2, converted to
// JSON, decoded with numbers kept as written. parseManifestFast is the same for the common subset.
func parseManifestGeneral(manifest string) (map[string]any, error) {
	js, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %v", err)
	}
	obj, err := decodeObject(js)
	if err != nil {
		return nil, fmt.Errorf("must be a YAML object with apiVersion, kind and metadata.name")
	}
	return obj, nil
}

// checkUserString checks one user string: no Argo placeholder, and when it is a template, that it parses.
func checkUserString(path *field.Path, s string, isTemplate bool, cache *compileCache) field.ErrorList {
	if err := checkString(s, isTemplate, cache); err != nil {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, err.Error())}
	}
	return nil
}

// checkString explains what is wrong with a user string, or returns nil. The Argo check comes first:
// "{{workflow.name}}" is better explained as an Argo placeholder than as an undefined template function.
func checkString(s string, isTemplate bool, cache *compileCache) error {
	if !strings.Contains(s, "{{") {
		return nil
	}
	if reason, found := argoPlaceholder(s); found {
		return errors.New(reason)
	}
	if isTemplate {
		if _, err := cache.parse(s); err != nil {
			return err
		}
	}
	if reason, found := unclosedBraces(s); found {
		return errors.New(reason)
	}
	return nil
}

// compileCache keeps what one compile would otherwise compute twice (validation, then rendering): parsed
// templates by their text and decoded free-form specs by their bytes. A nil cache keeps nothing.
type compileCache struct {
	templates map[string]compiledTemplate
	specs     map[string]*cachedSpec
	// jobSpecsOK holds Job specs (raw bytes) checkJobSpec found nothing wrong with: actions of a workflow
	// often share a spec, and the strict decode into a JobSpec is the dearest part of validating a Job.
	jobSpecsOK map[string]bool
}

// cachedSpec is a decoded spec and how many readers (validation visits) asked for it; each may later take
// it to render in place (see decodeSpec). Actions sharing a spec are checked and rendered alike (the
// visitors are the same pure functions of the string for the whole compile), so what the first one
// found is kept for the others, indexed by the template flag (see visitRawStrings):
type cachedSpec struct {
	doc  any
	refs int
	// clean[t]: a check with template=t found nothing wrong.
	clean [2]bool
	// rendered[t]: the spec rendered with template=t, without error, for the takers still to come.
	rendered [2]any
}

func templateIndex(template bool) int {
	if template {
		return 1
	}
	return 0
}

// specClean reports whether raw was checked with template before and found clean.
func (c *compileCache) specClean(raw []byte, template bool) bool {
	if c == nil {
		return false
	}
	cs, ok := c.specs[string(raw)]
	return ok && cs.clean[templateIndex(template)]
}

// markSpecClean records a clean check of raw (decoded and cached by decodeSpecShared).
func (c *compileCache) markSpecClean(raw []byte, template bool) {
	if c == nil {
		return
	}
	if cs, ok := c.specs[string(raw)]; ok {
		cs.clean[templateIndex(template)] = true
	}
}

// takeRendered is decodeSpec's take when an earlier taker left raw rendered with template: the rendered
// document itself, shared by every taker (the IR's objects are read-only; see ResourceRequest.Object).
func (c *compileCache) takeRendered(raw []byte, template bool) (any, bool) {
	if c == nil {
		return nil, false
	}
	cs, ok := c.specs[string(raw)]
	if !ok || cs.rendered[templateIndex(template)] == nil {
		return nil, false
	}
	doc := cs.rendered[templateIndex(template)]
	if cs.refs > 1 {
		cs.refs--
	} else {
		delete(c.specs, string(raw))
	}
	return doc, true
}

// keepRendered keeps doc, raw rendered with template, for the takers still to come; nobody changes it
// afterwards (builders copy what they add to: see jobRequest).
func (c *compileCache) keepRendered(raw []byte, template bool, doc any) {
	if c == nil {
		return
	}
	if cs, ok := c.specs[string(raw)]; ok {
		cs.rendered[templateIndex(template)] = doc
	}
}

// newCompileCache sizes the cache for a workflow of n actions (a few templates each).
func newCompileCache(n int) *compileCache {
	return &compileCache{templates: make(map[string]compiledTemplate, 2*n), specs: make(map[string]*cachedSpec, n), jobSpecsOK: map[string]bool{}}
}

// parse parses s as a Go text/template that fails on missing keys (plain field references take a faster
// path with the same behaviour). Errors carry no field path: callers wrap them in a field error.
func (c *compileCache) parse(s string) (compiledTemplate, error) {
	if c != nil {
		if t, ok := c.templates[s]; ok {
			return t, nil
		}
	}
	var t compiledTemplate
	if ft, ok := parseFieldTemplate(s); ok {
		t = ft
	} else {
		gt, err := template.New("template").Option("missingkey=error").Parse(s)
		if err != nil {
			return nil, err
		}
		t = goTemplate{gt}
	}
	if c != nil {
		c.templates[s] = t
	}
	return t, nil
}

// decodeSpec decodes a free-form JSON spec (numbers kept as written). Without take, the result is shared
// with the cache and must only be read; with take, the caller owns it. Actions often share a spec, so
// several readers may take the same one: all but the last get a deep copy (far cheaper than decoding the
// JSON again), the last gets the cached document itself.
func (c *compileCache) decodeSpec(raw []byte, take bool) (any, error) {
	doc, shared, err := c.decodeSpecShared(raw, take)
	if shared {
		doc = deepCopyJSON(doc)
	}
	return doc, err
}

// decodeSpecShared is decodeSpec leaving the copy to the caller: with take, shared says the document is
// still the cache's, to be read (and copied while reading: see visitRawStrings) rather than changed.
func (c *compileCache) decodeSpecShared(raw []byte, take bool) (doc any, shared bool, err error) {
	if c != nil {
		if cs, ok := c.specs[string(raw)]; ok {
			if !take {
				cs.refs++
				return cs.doc, false, nil
			}
			if cs.refs > 1 {
				cs.refs--
				return cs.doc, true, nil
			}
			delete(c.specs, string(raw))
			return cs.doc, false, nil
		}
	}
	if fast, ok := decodeJSONFast(raw); ok {
		doc = fast
	} else {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, false, err
		}
	}
	if c != nil && !take {
		c.specs[string(raw)] = &cachedSpec{doc: doc, refs: 1}
	}
	return doc, false, nil
}

// deepCopyJSON copies a decoded JSON value: maps and lists are copied, scalars (string, json.Number, bool,
// nil) are immutable and shared.
func deepCopyJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopyJSON(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopyJSON(x)
		}
		return l
	}
	return v
}

// isTemplated reports whether s will be rendered and contains template actions, so its final value is not
// known before rendering.
func isTemplated(s string, template bool) bool {
	return template && strings.Contains(s, "{{")
}

// resourceOperation returns the operation of a resource-like action (not HTTP or Job).
func resourceOperation(b *v1alpha1.ActionBody) (v1alpha1.ResourceOperation, bool) {
	switch {
	case b.Localization != nil:
		return b.Localization.Operation, true
	case b.Subscription != nil:
		return b.Subscription.Operation, true
	case b.Resource != nil:
		return b.Resource.Operation, true
	}
	return "", false
}

// Hot callers (every action's names) check isDNSLabel or isDNSSubdomain first, so that a valid name, the
// usual case, costs neither the regexps of the validation package nor a field path.

func validateDNSLabel(s string, path *field.Path) field.ErrorList {
	if isDNSLabel(s) {
		return nil
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(s) {
		errs = append(errs, field.Invalid(path, s, msg))
	}
	return errs
}

func validateDNSSubdomain(s string, path *field.Path) field.ErrorList {
	if isDNSSubdomain(s) {
		return nil
	}
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

// isDNSLabel reports whether validation.IsDNS1123Label(s) finds nothing wrong: at most 63 characters of
// [a-z0-9-], starting and ending with [a-z0-9]. TestDNSNameChecksMatchValidation holds them together.
func isDNSLabel(s string) bool {
	return len(s) <= validation.DNS1123LabelMaxLength && isDNSLabelText(s)
}

// isDNSSubdomain reports whether validation.IsDNS1123Subdomain(s) finds nothing wrong: at most 253
// characters, dot-separated labels (each without the label length limit, as in the validation package).
func isDNSSubdomain(s string) bool {
	if len(s) > validation.DNS1123SubdomainMaxLength {
		return false
	}
	for {
		label, rest, more := strings.Cut(s, ".")
		if !isDNSLabelText(label) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// isDNSLabelText matches [a-z0-9]([-a-z0-9]*[a-z0-9])?
func isDNSLabelText(s string) bool {
	if s == "" {
		return false
	}
	alnum := func(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }
	if !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !alnum(c) && c != '-' {
			return false
		}
	}
	return true
}
