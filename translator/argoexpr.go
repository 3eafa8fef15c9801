package translator

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Every string the compiled Workflow hands to Argo's own evaluators (DAG `depends`, `when`, http
// successCondition, resource success/failure conditions, output jsonPaths) is built here, so Argo syntax
// lives in one place. Only argoRetries (a retried Job attempt's name) and argoWhen (a run-time condition)
// contain "{{": the operator renders user templates itself and asks Argo to substitute nothing else.

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

// argoWhen compiles a run-time condition (when.go) into an Argo `when`: one expression tag, "{{=EXPR}}", over
// Argo's variables of the task's ancestors, tasks["TASK"].status and .outputs. Argo resolves the tag when the
// task's dependencies are done (workflow/controller/dag.go, resolveDependencyReferences) by evaluating EXPR with
// expr-lang and then reads the result, "true" or "false", as the task's `when`. Results reach the expression as
// variables, never as text, so a response body holding quotes or braces cannot change it; the only literals are
// the condition's own, printed by printCondition without braces or backslashes.
func argoWhen(c *Condition, tasks map[string]string) (string, error) {
	node, err := parseCanonical(c.Expr)
	if err != nil {
		return "", err
	}
	text, err := printCondition(node, func(action, field string) (string, error) {
		task, ok := tasks[action]
		if !ok {
			return "", fmt.Errorf("the condition reads action %s, which is not in the run", action)
		}
		return argoTaskField(task, field)
	})
	if err != nil {
		return "", err
	}
	return "{{=" + text + "}}", nil
}

// IsArgoRuntimeWhen tells a task `when` that argoWhen compiled (an expression tag) from a literal one.
func IsArgoRuntimeWhen(when string) bool { return strings.HasPrefix(when, "{{=") }

// argoTaskField is the Argo expression of one field a condition reads of a task. Phases map to ours: Argo's
// Omitted is Skipped, Error is Failed (as argoexec reports them). Outputs of a task that recorded none (it was
// skipped) read as "", as on the native engine; `?.` and `??` keep Argo from waiting for a variable that will
// never exist (its strict resolution requeues on a missing one).
func argoTaskField(task, field string) (string, error) {
	t := "tasks[" + conditionString(task) + "]"
	if field == fieldPhase {
		status := t + ".status"
		return "(" + status + ` in ["Skipped", "Omitted"] ? "Skipped" : (` + status + ` in ["Failed", "Error"] ? "Failed" : ` + status + "))", nil
	}
	if field == fieldHTTPBody {
		return "(" + t + `?.outputs?.result ?? "")`, nil
	}
	if _, param, ok := strings.Cut(field, "."); ok && contains(refFields, param) {
		return "(" + t + "?.outputs?.parameters?.[" + conditionString(param) + `] ?? "")`, nil
	}
	return "", fmt.Errorf("argo records no %s of a task", field)
}

// printCondition prints a checked condition tree as expr-lang text, fully parenthesised, reads of outputs
// printed by ref. It is the only printer of condition text, for both engines.
func printCondition(n ast.Node, ref func(action, field string) (string, error)) (string, error) {
	switch n := n.(type) {
	case *ast.StringNode:
		return conditionString(n.Value), nil
	case *ast.IntegerNode:
		return strconv.Itoa(n.Value), nil
	case *ast.FloatNode:
		return strconv.FormatFloat(n.Value, 'f', -1, 64), nil
	case *ast.BoolNode:
		return strconv.FormatBool(n.Value), nil
	case *ast.ArrayNode:
		parts := make([]string, len(n.Nodes))
		for i, e := range n.Nodes {
			p, err := printCondition(e, ref)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case *ast.UnaryNode:
		inner, err := printCondition(n.Node, ref)
		if err != nil {
			return "", err
		}
		return "!(" + inner + ")", nil
	case *ast.BinaryNode:
		left, err := printCondition(n.Left, ref)
		if err != nil {
			return "", err
		}
		right, err := printCondition(n.Right, ref)
		if err != nil {
			return "", err
		}
		return "(" + left + " " + n.Operator + " " + right + ")", nil
	case *ast.MemberNode:
		if action, field, ok := conditionRead(n); ok {
			return ref(action, field)
		}
	}
	return "", fmt.Errorf("condition node %q cannot be printed", n.String())
}

// conditionString prints s as a double-quoted expr-lang string. Quotes, backslashes, braces and control
// characters are written as \uXXXX escapes, so the text holds no "{{" or "}}" (Argo's tag delimiters) and no
// backslash but those escapes, which survive Argo's JSON round trip of a `when`; <, > and & stay as they are
// (Argo's JSON fix-up rewrites the text \u003c, \u003e and \u0026 wherever it appears).
func conditionString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '{' || r == '}' || r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
