package translator

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Pass 1, admission, per action: the body of an action or rollback, before rendering. What rendering can
// change is checked again on the rendered text (validateRendered in render.go).

// validateActionBody checks what actions and rollbacks share: type, the one matching config block, limits,
// the config itself and every user string in it.
func validateActionBody(body *v1alpha1.ActionBody, executor v1alpha1.ExecutorType, path *field.Path) field.ErrorList {
	errs, ok := validateUpstreamBody(body, path)
	if !ok {
		return errs
	}
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
		{"globalization", v1alpha1.ActionTypeGlobalization, body.Globalization != nil},
		{"approval", v1alpha1.ActionTypeApproval, body.Approval != nil},
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
	errs = append(errs, validateRetryPolicy(body.RetryPolicy, executor, path.Child("retryPolicy"))...)
	if executor == v1alpha1.ExecutorArgo {
		errs = append(errs, argoUnsupported(body, path)...)
	}
	if !configOK {
		return errs
	}
	switch body.Type {
	case v1alpha1.ActionTypeHTTP:
		errs = append(errs, validateHTTP(body.HTTP, path.Child("http"))...)
	case v1alpha1.ActionTypeJob:
		errs = append(errs, validateJob(body.Job, path.Child("job"))...)
	case v1alpha1.ActionTypeLocalization:
		l := body.Localization
		errs = append(errs, validateClusternet(l.Operation, resourceOperations, l.Name, l.Namespace, l.Spec != nil, true, path.Child("localization"))...)
		errs = append(errs, validateObjectSpec(l.Spec, path.Child("localization", "spec"))...)
	case v1alpha1.ActionTypeSubscription:
		s := body.Subscription
		errs = append(errs, validateClusternet(v1alpha1.ResourceOperation(s.Operation), subscriptionOperations, s.Name, s.Namespace, s.Spec != nil, true, path.Child("subscription"))...)
		errs = append(errs, validateObjectSpec(s.Spec, path.Child("subscription", "spec"))...)
	case v1alpha1.ActionTypeGlobalization:
		g := body.Globalization
		errs = append(errs, validateGlobalization(g.Operation, g.Name, g.Spec != nil, true, path.Child("globalization"))...)
		errs = append(errs, validateObjectSpec(g.Spec, path.Child("globalization", "spec"))...)
	case v1alpha1.ActionTypeKubernetesResource:
		errs = append(errs, validateResource(body.Resource, path.Child("resource"))...)
	case v1alpha1.ActionTypeApproval:
		errs = append(errs, validateApproval(body, path)...)
	}
	_, stringErrs := walkActionStrings(body, path, false, func(s string, template bool) (string, error) {
		return s, checkString(s, template)
	})
	return append(errs, stringErrs...)
}

func validateRetryPolicy(rp *v1alpha1.RetryPolicy, executor v1alpha1.ExecutorType, path *field.Path) field.ErrorList {
	if rp == nil {
		return nil
	}
	var errs field.ErrorList
	if rp.Limit < 0 || rp.Limit > maxRetryLimit {
		errs = append(errs, field.Invalid(path.Child("limit"), rp.Limit, fmt.Sprintf("must be between 0 and %d", maxRetryLimit)))
	}
	if rp.Interval != nil && rp.Interval.Duration < 0 {
		errs = append(errs, field.Invalid(path.Child("interval"), rp.Interval.Duration.String(), "must not be negative"))
	}
	if rp.BackoffMultiplier != "" {
		p := path.Child("backoffMultiplier")
		f, err := strconv.ParseFloat(rp.BackoffMultiplier, 64)
		switch {
		case err != nil || math.IsInf(f, 0) || math.IsNaN(f):
			errs = append(errs, field.Invalid(p, rp.BackoffMultiplier, `must be a decimal number such as "2.0"`))
		case f < 1:
			errs = append(errs, field.Invalid(p, rp.BackoffMultiplier, "must be at least 1"))
		case f != math.Trunc(f) && executor != v1alpha1.ExecutorNative:
			// Argo's retryStrategy.backoff.factor is an integer; refuse rather than silently round.
			errs = append(errs, field.Invalid(p, rp.BackoffMultiplier,
				"must be a whole number (such as \"2.0\") unless spec.executor.type is Native: Argo's backoff factor is an integer"))
		case f > 1000:
			errs = append(errs, field.Invalid(p, rp.BackoffMultiplier, "must be at most 1000"))
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
	var seen []string // header names, compared case-insensitively
	for _, k := range sortedKeys(h.Headers) {
		errs = append(errs, validateHeaderName(k, path.Child("headers").Key(k), &seen)...)
	}
	for i, hf := range h.HeadersFrom {
		p := path.Child("headersFrom").Index(i)
		errs = append(errs, validateHeaderName(hf.Name, p.Child("name"), &seen)...)
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
func validateHeaderName(name string, path *field.Path, seen *[]string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "a header name")}
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return field.ErrorList{field.Invalid(path, name, "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")}
		}
	}
	if strings.EqualFold(name, IdempotencyHeader) {
		return field.ErrorList{field.Forbidden(path, IdempotencyHeader+" is set by the operator")}
	}
	for _, s := range *seen {
		if strings.EqualFold(s, name) {
			return field.ErrorList{field.Duplicate(path, name)}
		}
	}
	*seen = append(*seen, name)
	return nil
}

func validateJob(j *v1alpha1.JobAction, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	template := !j.Literal
	if j.Namespace != "" && !isTemplated(j.Namespace, true) {
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
	return append(errs, checkJobSpec(j.Template.Spec.Raw, tp.Child("spec"))...)
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

// validateClusternet checks the fields Localization and Subscription actions share, under path (the block):
// op one of ops. template says name and namespace are still to be rendered (then only rendered text is
// checked as a name).
func validateClusternet(op v1alpha1.ResourceOperation, ops []string, name, namespace string, hasSpec, template bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !contains(ops, string(op)) {
		errs = append(errs, field.NotSupported(path.Child("operation"), op, ops))
	}
	if name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	} else if !isTemplated(name, template) {
		errs = append(errs, validateDNSSubdomain(name, path.Child("name"))...)
	}
	if namespace == "" {
		errs = append(errs, field.Required(path.Child("namespace"), "the child cluster's clusternet-xxxxx namespace"))
	} else if !isTemplated(namespace, template) {
		errs = append(errs, validateDNSLabel(namespace, path.Child("namespace"))...)
	}
	if !hasSpec && op != v1alpha1.OperationDelete {
		errs = append(errs, field.Required(path.Child("spec"), fmt.Sprintf("required when operation is %s", op)))
	}
	return errs
}

// replaceOnArgo is why a Subscription Replace cannot run on Argo.
const replaceOnArgo = "Replace runs on the native engine only (spec.executor.type: Native): on Argo it would be " +
	"`kubectl replace --force`, whose output Argo's executor cannot read once it deleted an existing Subscription; " +
	"on Argo use a Delete action followed by a Create action"

// argoUnsupported refuses what a body asks that the Argo engine cannot run.
func argoUnsupported(body *v1alpha1.ActionBody, path *field.Path) field.ErrorList {
	if s := body.Subscription; s != nil && s.Operation == v1alpha1.SubscriptionOperation(v1alpha1.OperationReplace) {
		return field.ErrorList{field.Invalid(path.Child("subscription", "operation"), s.Operation, replaceOnArgo)}
	}
	return nil
}

// ValidateForArgo refuses what wf asks that the Argo engine cannot run (the operator asks it when a workflow
// without spec.executor.type is to run on Argo, its default engine; with type Argo, ValidateWorkflow does).
func ValidateForArgo(wf *v1alpha1.DRWorkflow) field.ErrorList {
	var errs field.ErrorList
	wf = withDefaults(wf)
	for i := range wf.Spec.Actions {
		a, p := &wf.Spec.Actions[i], field.NewPath("spec", "actions").Index(i)
		errs = append(errs, argoUnsupported(&a.ActionBody, p)...)
		if a.Rollback != nil {
			errs = append(errs, argoUnsupported(&a.Rollback.ActionBody, p.Child("rollback"))...)
		}
	}
	return errs
}

// validateGlobalization checks a Globalization block under path: as validateClusternet, without a
// namespace (Globalizations are cluster scoped).
func validateGlobalization(op v1alpha1.ResourceOperation, name string, hasSpec, template bool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !contains(resourceOperations, string(op)) {
		errs = append(errs, field.NotSupported(path.Child("operation"), op, resourceOperations))
	}
	if name == "" {
		errs = append(errs, field.Required(path.Child("name"), ""))
	} else if !isTemplated(name, template) {
		errs = append(errs, validateDNSSubdomain(name, path.Child("name"))...)
	}
	if !hasSpec && op != v1alpha1.OperationDelete {
		errs = append(errs, field.Required(path.Child("spec"), fmt.Sprintf("required when operation is %s", op)))
	}
	return errs
}

// validateObjectSpec checks a free-form spec, when given, is a JSON object.
func validateObjectSpec(raw *runtime.RawExtension, path *field.Path) field.ErrorList {
	if raw == nil {
		return nil
	}
	if trimmed := bytes.TrimSpace(raw.Raw); len(trimmed) == 0 || trimmed[0] != '{' {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "must be an object")}
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

// resourceOperation returns the operation of a resource-like action (not HTTP or Job).
func resourceOperation(b *v1alpha1.ActionBody) (v1alpha1.ResourceOperation, bool) {
	switch {
	case b.Localization != nil:
		return b.Localization.Operation, true
	case b.Subscription != nil:
		return v1alpha1.ResourceOperation(b.Subscription.Operation), true
	case b.Resource != nil:
		return b.Resource.Operation, true
	case b.Globalization != nil:
		return b.Globalization.Operation, true
	}
	return "", false
}
