package translator

import (
	"regexp"
	"strings"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Upstream bcs-drplan-controller's `when` is not a template but a mode expression: clauses
// `mode == "install"` (or `operation == ...`, an alias) joined by "||", quotes optional, values install,
// upgrade, delete or rollback in any case. A plain `when` (no {{ }} and no $() reference) in that form is
// true when the run's mode is one of the values; the run's mode is the resolved parameter "mode", which
// ResolveParams sets from the execution's spec.mode, and which a reverse run sets to "rollback".

// modeParam is the reserved parameter holding the run's mode.
const modeParam = "mode"

var modeClause = regexp.MustCompile(`^\s*(?:mode|operation)\s*==\s*["']?([a-zA-Z]+)["']?\s*$`)

var modeValues = []string{"install", "upgrade", "delete", "rollback"}

// parseModeExpression returns the modes a plain `when` selects, and whether it is a mode expression.
func parseModeExpression(when string) ([]string, bool) {
	if hasActions(when) {
		return nil, false
	}
	var modes []string
	for _, clause := range strings.Split(when, "||") {
		m := modeClause.FindStringSubmatch(clause)
		if m == nil || !contains(modeValues, strings.ToLower(m[1])) {
			return nil, false
		}
		modes = append(modes, strings.ToLower(m[1]))
	}
	return modes, true
}

// modeExpressionAction names the first action of wf whose `when` selects by mode, or "".
func modeExpressionAction(wf *v1alpha1.DRWorkflow) string {
	for _, a := range wf.Spec.Actions {
		if _, ok := parseModeExpression(a.When); ok {
			return a.Name
		}
	}
	return ""
}

// actionWhen returns the `when` of the named action of wf.
func actionWhen(wf *v1alpha1.DRWorkflow, name string) string {
	for _, a := range wf.Spec.Actions {
		if a.Name == name {
			return a.When
		}
	}
	return ""
}
