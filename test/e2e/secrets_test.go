//go:build e2e

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// Every Secret value a spec creates is recorded here; at the end of the suite scanStoredAndLogged checks that
// none of them is in any stored object the operator or Argo wrote, nor in any log line of the suite.
var (
	secretsMu    sync.Mutex
	secretValues []string
	// operatorLog holds the operator's log lines (the manager runs in this process); see BeforeSuite.
	operatorLog lockedBuffer
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// createSecret creates a Secret of ns with the given keys and records the values for the final scan.
func createSecret(ns, name string, data map[string]string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data})).To(Succeed())
	secretsMu.Lock()
	defer secretsMu.Unlock()
	for _, v := range data {
		secretValues = append(secretValues, v)
	}
}

var _ = Describe("Secret headers on the real Argo workflow-controller", func() {
	It("sends headersFrom values read by Argo's agent; on a redirect the agent follows net/http's rules", func() {
		ns := newNamespace()
		// db-admin-token is the one Secret the executor Role of config/executor may read.
		token, key := "Bearer e2e-t0ken-"+ns, "e2e-k3y-"+ns
		createSecret(ns, "db-admin-token", map[string]string{"token": token, "key": key})
		var mu sync.Mutex
		landed := map[string][]string{}
		other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			landed[r.URL.Path] = []string{r.Header.Get("Authorization"), r.Header.Get("X-Api-Key")}
		}))
		DeferCleanup(other.Close)
		hooks.On("/"+ns+"/port", hookBehaviour{Redirect: other.URL + "/port"})
		hooks.On("/"+ns+"/host", hookBehaviour{Redirect: strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/host"})

		withSecrets := func(a drv1.Action) drv1.Action {
			for _, h := range []struct{ header, key string }{{"Authorization", "token"}, {"X-Api-Key", "key"}} {
				a.HTTP.HeadersFrom = append(a.HTTP.HeadersFrom, drv1.HTTPHeaderSource{Name: h.header, ValueFrom: drv1.HeaderValueSource{
					SecretKeyRef: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db-admin-token"}, Key: h.key}}})
			}
			return a
		}
		createWorkflow(ns, "secret-hooks", "", nil,
			withSecrets(hookAction(ns, "direct")), withSecrets(hookAction(ns, "port")), withSecrets(hookAction(ns, "host")))
		createPlan(ns, "p", "secret-hooks")
		execute(ns, "run", "p")
		waitPhase(ns, "run", drv1.ExecutionSucceeded)

		direct := hooks.Only("/" + ns + "/direct")
		Expect([]string{direct.Header.Get("Authorization"), direct.Header.Get("X-Api-Key")}).To(Equal([]string{token, key}))
		mu.Lock()
		defer mu.Unlock()
		// What Argo v3.7's agent does (http.DefaultClient): everything goes to another port of the same host name;
		// to another host name only Authorization is dropped. docs/reliability.md and the user guide say so.
		Expect(landed).To(Equal(map[string][]string{"/port": {token, key}, "/host": {"", key}}))
	})
})

// scanStoredAndLogged returns where a recorded Secret value appears: a stored DRPlanExecution, DRPlan, Argo
// Workflow, WorkflowTaskSet or Event, the operator's log, or a log file of the stack's processes
// (workflow-controller, argoexec, kube-*, kwok) under the artifacts directory. It returns rather than fails so
// that the suite still stops the stack after a finding.
func scanStoredAndLogged() (found []string, err error) {
	secretsMu.Lock()
	values := append([]string(nil), secretValues...)
	secretsMu.Unlock()
	if len(values) == 0 { // a focused run without the Secret specs
		AddReportEntry("secret scan", "no spec of this run used a Secret: nothing to scan for")
		return nil, nil
	}
	// Each value is looked for as written and base64-encoded (as a Secret's data holds it).
	contains := func(text string, i int) bool {
		return strings.Contains(text, values[i]) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(values[i])))
	}
	find := func(where, text string) {
		for i := range values {
			if contains(text, i) {
				found = append(found, fmt.Sprintf("Secret value #%d in %s", i, where))
			}
		}
	}
	// A positive control: the Secrets themselves hold every value, so the search must find each there.
	var secrets corev1.SecretList
	if err := k8sClient.List(ctx, &secrets); err != nil {
		return nil, fmt.Errorf("listing Secrets: %w", err)
	}
	data, err := json.Marshal(&secrets)
	if err != nil {
		return nil, err
	}
	for i := range values {
		if !contains(string(data), i) {
			return nil, fmt.Errorf("the scan does not find Secret value #%d even in the stored Secrets", i)
		}
	}
	lists := map[string]client.ObjectList{
		"DRPlanExecutions": &drv1.DRPlanExecutionList{}, "DRPlans": &drv1.DRPlanList{},
		"Workflows": &wfv1.WorkflowList{}, "WorkflowTaskSets": &wfv1.WorkflowTaskSetList{}, "Events": &corev1.EventList{},
	}
	for what, list := range lists {
		if err := k8sClient.List(ctx, list); err != nil {
			return found, fmt.Errorf("listing %s: %w", what, err)
		}
		data, err := json.Marshal(list)
		if err != nil {
			return found, err
		}
		find("the stored "+what, string(data))
	}
	find("the operator's log", operatorLog.String())
	files := 0
	err = filepath.WalkDir(artifactsDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		find(path, string(data))
		return nil
	})
	if err == nil && files == 0 {
		err = fmt.Errorf("no process logs under %s to scan", artifactsDir)
	}
	AddReportEntry("secret scan", fmt.Sprintf("%d Secret values; stored DRPlanExecutions, DRPlans, Workflows, "+
		"WorkflowTaskSets and Events, the operator's log and %d process log files; found %d", len(values), files, len(found)))
	return found, err
}
