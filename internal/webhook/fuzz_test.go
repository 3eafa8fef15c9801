package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// FuzzAdmissionReview sends arbitrary bytes through the webhooks' decoders as the API server would send
// them: the HTTP body of an AdmissionReview, decoded by controller-runtime into the request and then into a
// DRWorkflow, DRPlan or DRPlanExecution, and validated (reads go to an empty fake cluster). The fuzzer
// mutates both the whole body and the object inside an otherwise well-formed review; panics are not
// recovered, so any panic fails the target. The seeds are the objects of examples/.
func FuzzAdmissionReview(f *testing.F) {
	logf.SetLogger(logr.Discard())
	for _, obj := range exampleObjects(f) {
		for _, op := range []admissionv1.Operation{admissionv1.Create, admissionv1.Update, admissionv1.Delete} {
			f.Add(review(f, op, obj), false)
			f.Add(obj, true)
		}
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`), false)
	f.Add([]byte(`{"spec":{"actions":[{"name":"a","type":"HTTP","http":{"url":"{{"}}]}}`), true)

	c := newFake(f)
	scheme := runtime.NewScheme()
	if err := drv1.AddToScheme(scheme); err != nil {
		f.Fatal(err)
	}
	wv, pv, ev := NewValidators(c, c)
	hooks := []*admission.Webhook{
		admission.WithValidator(scheme, wv).WithRecoverPanic(false),
		admission.WithValidator(scheme, pv).WithRecoverPanic(false),
		admission.WithValidator(scheme, ev).WithRecoverPanic(false),
	}
	f.Fuzz(func(t *testing.T, data []byte, asObject bool) {
		for i, hook := range hooks {
			body := data
			if asObject {
				kind := []string{"DRWorkflow", "DRPlan", "DRPlanExecution"}[i]
				body = wrap(admissionv1.Create, kind, data, data)
			}
			req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			hook.ServeHTTP(rec, req)
			var answer admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
				t.Fatalf("webhook %d answered HTTP %d with no AdmissionReview (%v): %s", i, rec.Code, err, rec.Body.String())
			}
		}
	})
}

// review is an AdmissionReview of obj (JSON) for op; an update sends obj as the old object too.
func review(t testing.TB, op admissionv1.Operation, obj []byte) []byte {
	t.Helper()
	var tm struct{ Kind string }
	if err := json.Unmarshal(obj, &tm); err != nil {
		t.Fatal(err)
	}
	return wrap(op, tm.Kind, obj, obj)
}

// wrap builds the review's JSON by hand so that obj and old, which may be any bytes, are sent as they are.
func wrap(op admissionv1.Operation, kind string, obj, old []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"fuzz",`)
	b.WriteString(`"kind":{"group":"dr.bkbcs.tencent.com","version":"v1alpha1","kind":"` + kind + `"},`)
	b.WriteString(`"resource":{"group":"dr.bkbcs.tencent.com","version":"v1alpha1","resource":"` + strings.ToLower(kind) + `s"},`)
	b.WriteString(`"namespace":"ns","name":"x","operation":"` + string(op) + `","userInfo":{"username":"fuzz"}`)
	if op != admissionv1.Delete {
		b.WriteString(`,"object":`)
		b.Write(obj)
	}
	if op != admissionv1.Create {
		b.WriteString(`,"oldObject":`)
		b.Write(old)
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

// exampleObjects returns every object of examples/ as JSON.
func exampleObjects(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	var out [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(data, []byte("\n---")) {
			j, err := yaml.YAMLToJSON(doc)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if len(j) > 4 {
				out = append(out, j)
			}
		}
	}
	return out
}

// TestAdmissionReviewHarness checks the fuzz target's requests reach the validators: a valid example is
// allowed and the same workflow with a dependency cycle is denied with the validator's message.
func TestAdmissionReviewHarness(t *testing.T) {
	logf.SetLogger(logr.Discard())
	c := newFake(t)
	scheme := runtime.NewScheme()
	if err := drv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	wv, _, _ := NewValidators(c, c)
	hook := admission.WithValidator(scheme, wv).WithRecoverPanic(false)
	send := func(obj string) *admissionv1.AdmissionResponse {
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(wrap(admissionv1.Create, "DRWorkflow", []byte(obj), nil)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		hook.ServeHTTP(rec, req)
		var answer admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
			t.Fatalf("no AdmissionReview: %v %s", err, rec.Body.String())
		}
		return answer.Response
	}
	const wf = `{"apiVersion":"dr.bkbcs.tencent.com/v1alpha1","kind":"DRWorkflow","metadata":{"name":"w","namespace":"ns"},` +
		`"spec":{"actions":[{"name":"a","type":"HTTP","http":{"url":"https://x"}%s},{"name":"b","type":"HTTP","dependsOn":["a"],"http":{"url":"https://y"}}]}}`
	if r := send(strings.Replace(wf, "%s", "", 1)); !r.Allowed {
		t.Fatalf("valid workflow denied: %+v", r.Result)
	}
	r := send(strings.Replace(wf, "%s", `,"dependsOn":["b"]`, 1))
	if r.Allowed || !strings.Contains(r.Result.Message, "dependency cycle") {
		t.Fatalf("cycle not denied with its message: %+v", r.Result)
	}
}
