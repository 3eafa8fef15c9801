package argoexec

import (
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/intstr"
	kptr "k8s.io/utils/ptr"
)

func TestTimeoutMessage(t *testing.T) {
	http := &wfv1.Template{HTTP: &wfv1.HTTP{TimeoutSeconds: kptr.To(int64(30))}}
	pod := &wfv1.Template{Resource: &wfv1.ResourceTemplate{}, ActiveDeadlineSeconds: kptr.To(intstr.FromInt(300))}
	for _, tc := range []struct {
		name string
		tmpl *wfv1.Template
		msg  string
		want string
	}{
		{"http call past its timeout (Argo's agent)", http, `Post "https://hooks.example/x": context deadline exceeded`,
			`timed out after 30s: Post "https://hooks.example/x": context deadline exceeded`},
		{"http client timeout", http, `Get "https://h/x": net/http: request canceled (Client.Timeout exceeded while awaiting headers)`,
			`timed out after 30s: Get "https://h/x": net/http: request canceled (Client.Timeout exceeded while awaiting headers)`},
		{"step pod past activeDeadlineSeconds (the kubelet)", pod, "Pod was active on the node longer than the specified deadline",
			"timed out after 5m0s: Pod was active on the node longer than the specified deadline"},
		{"Argo's deadline words", pod, "ex.step exceeded its deadline", "timed out after 5m0s: ex.step exceeded its deadline"},
		{"another failure stays as it is", http, "received non-2xx response code: 503", "received non-2xx response code: 503"},
		{"no timeout on the template", &wfv1.Template{}, "context deadline exceeded", "context deadline exceeded"},
		{"no template", nil, "context deadline exceeded", "context deadline exceeded"},
		{"named once", http, "timed out after 30s: context deadline exceeded", "timed out after 30s: context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(timeoutMessage(tc.tmpl, tc.msg)).To(Equal(tc.want))
		})
	}
}

// A retried action whose last attempt timed out: Argo's Retry message first, the attempt's named timeout after.
func TestTimedOutRetryMessage(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("w", [3]string{"call", "call", "http"})
	for i := range wf.Spec.Templates {
		if wf.Spec.Templates[i].HTTP != nil {
			wf.Spec.Templates[i].HTTP.TimeoutSeconds = kptr.To(int64(2))
		}
	}
	addNode(wf, "w.call", wfv1.NodeTypeRetry, wfv1.NodeFailed, 1, 9, "No more retries left")
	retryChild(wf, "w.call", 0, wfv1.NodeTypeHTTP, wfv1.NodeFailed, 1, 3, "context deadline exceeded")
	retryChild(wf, "w.call", 1, wfv1.NodeTypeHTTP, wfv1.NodeFailed, 5, 9, "context deadline exceeded")
	wf.Status.Phase = wfv1.WorkflowFailed
	rs, err := RunStatus(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rs.Actions[0].Message).To(Equal("No more retries left: timed out after 2s: context deadline exceeded"))
	g.Expect(rs.Actions[0].RetryCount).To(Equal(int32(1)))
}
