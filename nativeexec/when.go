package nativeexec

import (
	v1alpha1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// whenHoldsLocked decides the run-time `when` of ready action i over the statuses of the actions it reads
// (all ended: they are its dependencies, directly or through others). When it is false the action is settled
// Skipped with translator.WhenFalseMessage, the message argoexec reports for the same case on Argo; when it
// cannot be decided (the translator checked its form and types, so this is not expected) the action is
// settled Failed with the reason. Either way it does not start.
func (s *runState) whenHoldsLocked(i int) bool {
	ok, err := translator.EvaluateCondition(s.ir.Actions[i].When, s.actions)
	switch {
	case err != nil:
		s.settleLocked(i, v1alpha1.ActionFailed, "when could not be decided: "+err.Error())
		return false
	case !ok:
		s.settleLocked(i, v1alpha1.ActionSkipped, translator.WhenFalseMessage)
		return false
	}
	return true
}
