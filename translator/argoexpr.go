package translator

import (
	"strconv"
	"strings"
)

// Every string the compiled Workflow hands to Argo's own evaluators (DAG `depends`, `when`, http
// successCondition, resource success/failure conditions, output jsonPaths) is built here, so Argo syntax
// lives in one place. Only argoRetries contains "{{" (a retried Job attempt's name): the operator renders user
// templates itself and asks Argo to substitute nothing else.

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

// argoRetries is Argo's retry number of the attempt (0 first), set in templates with a retryStrategy.
const argoRetries = "{{retries}}"

// ArgoJobAttemptName is the name a retried Job action's manifest gives its Job on Argo: JobAttemptName with
// Argo's retry number, so each attempt creates its own Job.
func ArgoJobAttemptName(name string) string { return name + "-" + argoRetries }

// ArgoJobAttemptNames expands a manifest name made by ArgoJobAttemptName into the Jobs of attempts 0..limit;
// any other name is returned alone.
func ArgoJobAttemptNames(manifestName string, limit int) []string {
	stem, ok := strings.CutSuffix(manifestName, "-"+argoRetries)
	if !ok {
		return []string{manifestName}
	}
	names := make([]string, 0, limit+1)
	for n := 0; n <= limit; n++ {
		names = append(names, JobAttemptName(stem, n))
	}
	return names
}

// argoRetryWorthIt is the retryStrategy expression that gives up at once on an error a retry cannot fix:
// kubectl's "Error from server (Forbidden|AlreadyExists|Invalid|BadRequest)" in the last attempt's message.
// The native engine treats the same API errors as permanent, so both engines retry the same failures.
const argoRetryWorthIt = "!(lastRetry.message matches '[(](Forbidden|AlreadyExists|Invalid|BadRequest)[)]')"
