package translator

import (
	"strconv"
	"strings"
)

// Every string the compiled Workflow hands to Argo's own evaluators (DAG `depends`, `when`, http
// successCondition, resource success/failure conditions, output jsonPaths) is built here, so Argo syntax
// lives in one place. None of them contains "{{": the operator renders user templates itself and never asks
// Argo to substitute anything.

// argoWhenSkip is the `when` of a task that must not run: Argo evaluates it false and marks the node Skipped.
const argoWhenSkip = "false"

// argoDepends is the `depends` expression of a task waiting on tasks: each must have Succeeded or been
// Skipped (a skipped dependency counts as satisfied). A failed or omitted dependency leaves the task
// Omitted.
func argoDepends(tasks []string) string {
	parts := make([]string, len(tasks))
	for i, t := range tasks {
		parts[i] = "(" + t + ".Succeeded || " + t + ".Skipped)"
	}
	return strings.Join(parts, " && ")
}

// argoHTTPSuccessCondition accepts the listed status codes. With none listed it is empty: Argo's agent then
// accepts any 2xx itself and, unlike with a successCondition, names the code it received in the failure
// message ("received non-2xx response code: 503"), the only place Argo records it.
func argoHTTPSuccessCondition(codes []int32) string {
	if len(codes) == 0 {
		return ""
	}
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = "response.statusCode == " + strconv.Itoa(int(c))
	}
	return strings.Join(parts, " || ")
}

// argoJobSucceeded and argoJobFailed are resource conditions (label-selector syntax over JSON paths) for a Job.
const argoJobSucceeded = "status.succeeded > 0"

func argoJobFailed(backoffLimit int32) string {
	return "status.failed > " + strconv.Itoa(int(backoffLimit))
}

// argoSubscriptionBound holds once status.bindingClusters has a first element (Exists on index 0).
const argoSubscriptionBound = "status.bindingClusters.0"

// argoJSONPath is the kubectl jsonpath reading one field of the object a resource template touched.
func argoJSONPath(fieldPath string) string {
	return "{." + fieldPath + "}"
}
