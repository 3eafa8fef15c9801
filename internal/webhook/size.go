package webhook

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxObjectBytes bounds the JSON size of a DRWorkflow, DRPlan or DRPlanExecution at admission. etcd refuses
// a write above 1.5 MiB (its default --max-request-bytes) with "etcdserver: request is too large", which names
// neither the object nor the field, and the object's status and, for a DRWorkflow, the Argo Workflow compiled
// from it (about as large as its actions, docs/benchmarks.md) must fit under that limit as well. So
// admission stops at 1 MiB, with a message that says so.
const MaxObjectBytes = 1 << 20

// sizeErrors reports an object larger than MaxObjectBytes as JSON, at spec. kind is for the message.
func sizeErrors(kind string, obj any) field.ErrorList {
	data, err := json.Marshal(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(specPath, fmt.Errorf("encoding the %s: %w", kind, err))}
	}
	if len(data) <= MaxObjectBytes {
		return nil
	}
	return field.ErrorList{field.Invalid(specPath, field.OmitValueType{}, fmt.Sprintf(
		"the %s is %d bytes as JSON; at most %d bytes are accepted, so that it, its status and what the operator "+
			"compiles from it stay under etcd's 1.5 MiB object limit (split it into several workflows or plans)",
		kind, len(data), MaxObjectBytes))}
}
