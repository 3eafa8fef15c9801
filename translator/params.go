package translator

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// ResolveParams computes the parameters one workflow entry runs with. Precedence, lowest first: the workflow's
// defaults, the plan's globalParams, the stage entry's params, the execution's params (exec may be nil).
// Declared parameters must be supplied when required (a default does not count: required means the plan, the
// entry or the execution must say it) and must match their declared type. Every offender is reported at
// once, under "params[<name>]", naming where the bad value came from. Entries of the plan and the execution
// take upstream's parameter shape: a default used when the value is empty, a type checked against the final
// value, and required (on globalParams: the stage entry or the execution must supply it; on a stage entry:
// the execution must). A valueFrom.manifestRef is read only when it gives the final value (ResolveParamsWith);
// ResolveParams defers it: the parameter counts as supplied, with an empty value whose type is not checked.
//
// Parameters the workflow does not declare are passed through unchecked: globalParams are shared by every
// workflow of a plan, so a value one workflow does not know is normal (a name that no workflow of the plan
// declares is a typo, rejected by ValidateParamNames). Templates still fail on any name
// that is neither declared nor supplied (missingkey=error). The result is sorted by name.
func ResolveParams(wf *v1alpha1.DRWorkflow, plan *v1alpha1.DRPlan, stageIndex, entryIndex int, exec *v1alpha1.DRPlanExecution) ([]v1alpha1.ParamValue, field.ErrorList) {
	return ResolveParamsWith(wf, plan, stageIndex, entryIndex, exec, nil)
}

// ValueReader reads the value a parameter's valueFrom.manifestRef names (the operator: as the workflow's
// executor ServiceAccount, when the execution starts). The translator itself reads nothing.
type ValueReader func(param string, ref *v1alpha1.ManifestRef) (string, error)

// ValueFromParams names the parameters of an entry whose final value a valueFrom reads, sorted: admission
// and drplanctl cannot know those values.
func ValueFromParams(wf *v1alpha1.DRWorkflow, plan *v1alpha1.DRPlan, stageIndex, entryIndex int, exec *v1alpha1.DRPlanExecution) []string {
	var names []string
	_, _ = ResolveParamsWith(wf, plan, stageIndex, entryIndex, exec, func(param string, _ *v1alpha1.ManifestRef) (string, error) {
		names = append(names, param)
		return "", nil
	})
	sort.Strings(names)
	return names
}

// ResolveParamsWith is ResolveParams reading each valueFrom that gives a final value with read; a read
// error is reported at params[<name>].valueFrom.manifestRef. A nil read defers those values (ResolveParams).
func ResolveParamsWith(wf *v1alpha1.DRWorkflow, plan *v1alpha1.DRPlan, stageIndex, entryIndex int, exec *v1alpha1.DRPlanExecution, read ValueReader) ([]v1alpha1.ParamValue, field.ErrorList) {
	type resolved struct {
		value  string
		source string // where the value came from, for messages
		given  bool   // supplied by the plan, the entry or the execution (not a workflow default)
		level  int    // 0 workflow default, then each apply below
		// from is the valueFrom.manifestRef the value is read from; deferred when it could not be read here.
		from     *v1alpha1.ManifestRef
		deferred bool
	}
	// A constraint a plan or execution entry puts on the final value (upstream's parameter shape).
	type constraint struct {
		where    string
		typ      v1alpha1.ParameterType
		required bool // a higher level must supply the value
		level    int
	}
	wf = withDefaults(wf) // a workflow parameter's value acts as its default
	values := make(map[string]resolved)
	constraints := make(map[string][]constraint)
	for _, p := range wf.Spec.Parameters {
		switch {
		case p.ValueFrom != nil && p.ValueFrom.ManifestRef != nil:
			values[p.Name] = resolved{from: p.ValueFrom.ManifestRef, source: fmt.Sprintf("the valueFrom of DRWorkflow %s", wf.Name)}
		case p.Default != nil:
			values[p.Name] = resolved{value: *p.Default, source: fmt.Sprintf("the default of DRWorkflow %s", wf.Name)}
		}
	}
	var errs field.ErrorList
	level := 0
	// An entry sets its parameter to its value when non-empty, else to its default; an entry that only
	// declares (type, required or description, upstream's shape, with neither) sets nothing, and a plain
	// {name, value: ""} sets the empty string, as it always did.
	runMode := ""
	if exec != nil {
		runMode = exec.Spec.GetMode()
	}
	apply := func(list []v1alpha1.ParamValue, where string, required bool) {
		level++
		for i, v := range list {
			src := fmt.Sprintf("%s[%d]", where, i)
			if v.Name == modeParam && runMode != "" {
				errs = append(errs, field.Invalid(field.NewPath("params").Key(v.Name), v.Value,
					src+": the execution's spec.mode sets the parameter mode; remove this entry"))
				continue
			}
			if v.ValueFrom != nil {
				errs = append(errs, validateParamSource(v.ValueFrom, field.NewPath("params").Key(v.Name).Child("valueFrom"))...)
			}
			if v.Type != "" || (v.Required && required) {
				constraints[v.Name] = append(constraints[v.Name], constraint{where: src, typ: v.Type, required: v.Required && required, level: level})
			}
			switch {
			case v.ValueFrom != nil && v.ValueFrom.ManifestRef != nil:
				values[v.Name] = resolved{from: v.ValueFrom.ManifestRef, source: src + ".valueFrom", given: true, level: level}
			case v.Value != "":
				values[v.Name] = resolved{value: v.Value, source: src, given: true, level: level}
			case v.Default != nil:
				values[v.Name] = resolved{value: *v.Default, source: src + ".default", given: true, level: level}
			case v.Type == "" && !v.Required && v.Description == "":
				values[v.Name] = resolved{source: src, given: true, level: level}
			}
		}
	}
	if plan != nil {
		apply(plan.Spec.GlobalParams, fmt.Sprintf("DRPlan %s spec.globalParams", plan.Name), true)
		if stageIndex < 0 || stageIndex >= len(plan.Spec.Stages) {
			errs = append(errs, field.Invalid(field.NewPath("stageIndex"), stageIndex, fmt.Sprintf("DRPlan %s has %d stages", plan.Name, len(plan.Spec.Stages))))
		} else if st := plan.Spec.Stages[stageIndex]; entryIndex < 0 || entryIndex >= len(st.Workflows) {
			errs = append(errs, field.Invalid(field.NewPath("entryIndex"), entryIndex, fmt.Sprintf("stage %s has %d workflows", st.Name, len(st.Workflows))))
		} else {
			apply(st.Workflows[entryIndex].Params, fmt.Sprintf("DRPlan %s spec.stages[%d].workflows[%d].params", plan.Name, stageIndex, entryIndex), true)
		}
	}
	if exec != nil {
		level = 2 // after the stage entry, also when there is no plan
		apply(exec.Spec.Params, fmt.Sprintf("DRPlanExecution %s spec.params", exec.Name), false)
		if mode := runMode; mode != "" {
			values[modeParam] = resolved{value: mode, source: fmt.Sprintf("DRPlanExecution %s spec.mode", exec.Name), given: true, level: level + 1}
		} else if a := modeExpressionAction(wf); a != "" {
			errs = append(errs, field.Required(field.NewPath("mode"), fmt.Sprintf(
				"DRWorkflow %s action %s selects by mode (when: %s); set spec.mode to Install, Upgrade, Delete or Rollback", wf.Name, a, actionWhen(wf, a))))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, name := range sortedKeys(values) {
		v := values[name]
		if v.from == nil {
			continue
		}
		if read == nil {
			v.deferred = true
		} else if got, err := read(name, v.from); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("params").Key(name).Child("valueFrom", "manifestRef"), field.OmitValueType{},
				fmt.Sprintf("%s: %v", v.source, err)))
		} else {
			v.value = got
		}
		values[name] = v
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, name := range sortedKeys(constraints) {
		path := field.NewPath("params").Key(name)
		v, ok := values[name]
		for _, c := range constraints[name] {
			if c.required && (!ok || v.level <= c.level) {
				errs = append(errs, field.Required(path, fmt.Sprintf("required by %s and not set by a later level (the stage entry or the execution)", c.where)))
			} else if reason := checkParamType(c.typ, v.value); ok && !v.deferred && c.typ != "" && reason != "" {
				errs = append(errs, field.Invalid(path, v.value, fmt.Sprintf("%s (declared %s by %s; value from %s)", reason, c.typ, c.where, v.source)))
			}
		}
	}

	for _, p := range wf.Spec.Parameters {
		path := field.NewPath("params").Key(p.Name)
		v, ok := values[p.Name]
		if p.Required && !v.given {
			errs = append(errs, field.Required(path, fmt.Sprintf("required by DRWorkflow %s and not set by the plan, the stage entry or the execution", wf.Name)))
			continue
		}
		if !ok {
			// Optional, no default, nobody set it: templates see it as "" (seed error table: empty -> "").
			values[p.Name] = resolved{}
			continue
		}
		if reason := checkParamType(p.GetType(), v.value); reason != "" && !v.deferred {
			errs = append(errs, field.Invalid(path, v.value, fmt.Sprintf("%s (declared %s by DRWorkflow %s; value from %s)", reason, p.GetType(), wf.Name, v.source)))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := make([]v1alpha1.ParamValue, 0, len(values))
	for name, v := range values {
		out = append(out, v1alpha1.ParamValue{Name: name, Value: v.value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
