package argoexec

import (
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// An action's timeout on Argo: the translator writes it as the http template's timeoutSeconds (Argo's agent
// bounds the call with it) and as a resource template's activeDeadlineSeconds (the kubelet stops the step's
// pod at it). Neither says "timeout" in its message, so the operator tells a timed-out node by the words the
// agent and the kubelet use, and names the timeout as the native engine does: "timed out after 30s: ...".

// timeoutWords are the failure messages of a timeout: Go's context deadline (the agent's request), net/http's
// client timeout, the kubelet's DeadlineExceeded message, and Argo's own for a step past its deadline.
var timeoutWords = []string{
	"context deadline exceeded",
	"Client.Timeout exceeded",
	"Pod was active on the node longer than the specified deadline",
	"exceeded its deadline",
}

// templateTimeout is the timeout the translator wrote on tmpl (0: none).
func templateTimeout(tmpl *wfv1.Template) time.Duration {
	switch {
	case tmpl == nil:
		return 0
	case tmpl.HTTP != nil && tmpl.HTTP.TimeoutSeconds != nil:
		return time.Duration(*tmpl.HTTP.TimeoutSeconds) * time.Second
	case tmpl.ActiveDeadlineSeconds != nil:
		if s, err := intstr.GetScaledValueFromIntOrPercent(tmpl.ActiveDeadlineSeconds, 0, false); err == nil {
			return time.Duration(s) * time.Second
		}
	}
	return 0
}

// timeoutMessage is msg naming the timeout when the failure it describes is tmpl's timeout, else msg.
func timeoutMessage(tmpl *wfv1.Template, msg string) string {
	d := templateTimeout(tmpl)
	if d <= 0 || strings.HasPrefix(msg, "timed out after ") {
		return msg
	}
	for _, w := range timeoutWords {
		if strings.Contains(msg, w) {
			return "timed out after " + d.String() + ": " + msg
		}
	}
	return msg
}
