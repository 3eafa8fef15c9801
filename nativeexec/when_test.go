package nativeexec

import (
	"fmt"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/translator"
)

// A run-time `when` decides from an earlier action's result when the action becomes ready: promote runs only
// when check-health answered healthy, and announce, which depends on promote, runs either way (a skipped
// dependency satisfies).
func TestRuntimeWhenDecidesFromAnEarlierResult(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       v1alpha1.ActionPhase
		calls      []string
	}{
		{name: "healthy: runs", body: `{"healthy":true}`, want: v1alpha1.ActionSucceeded, calls: []string{"/health", "/promote", "/announce"}},
		{name: "unhealthy: skipped", body: `{"healthy":false,"why":"'}} || true"}`, want: v1alpha1.ActionSkipped, calls: []string{"/health", "/announce"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			srv := newHookServer(t, map[string]http.HandlerFunc{
				"/health": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tc.body) },
			})
			promote := httpAction("promote", srv.URL+"/promote", "check-health")
			promote.When = `{{ .outputs.check-health.phase == 'Succeeded' && .outputs.check-health.httpResponse.body contains '"healthy":true' }}`
			announce := httpAction("announce", srv.URL+"/announce", "promote")
			announce.When = `{{ .outputs.check-health.httpResponse.statusCode == 200 }}` // transitive, native only
			wf := testWorkflow("", httpAction("check-health", srv.URL+"/health"), promote, announce)
			wf.Spec.Executor = &v1alpha1.ExecutorSpec{Type: v1alpha1.ExecutorNative}
			e, notified := testEngine(t)
			st := driveToEnd(t, e, testRun(wf), notified)
			g.Expect(st.Phase).To(Equal(v1alpha1.ExecutionSucceeded))
			g.Expect(actionNamed(t, st, "promote").Phase).To(Equal(tc.want))
			g.Expect(actionNamed(t, st, "announce").Phase).To(Equal(v1alpha1.ActionSucceeded))
			g.Expect(srv.order()).To(Equal(tc.calls))
			if tc.want == v1alpha1.ActionSkipped {
				g.Expect(actionNamed(t, st, "promote").Message).To(Equal(translator.WhenFalseMessage))
			}
		})
	}
}
