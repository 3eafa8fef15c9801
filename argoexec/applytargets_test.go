package argoexec

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/drplan/drplan-operator/translator"
)

func applyTemplate(name, cm string) wfv1.Template {
	return wfv1.Template{Name: name, Resource: &wfv1.ResourceTemplate{Action: "apply",
		Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + cm + "\n"}}
}

// TestRecordApplyTargets: before the Workflow exists, the UID of each Apply target is recorded as the
// executor reads it ("" when absent); Job actions and other verbs are not looked up.
func TestRecordApplyTargets(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	wf := jobWF(applyTemplate("over", "existing"), applyTemplate("fresh", "absent"), jobTemplate("job", "j", "ex"),
		wfv1.Template{Name: "cm", Resource: &wfv1.ResourceTemplate{Action: "create", Manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"}})
	wf.Spec.Templates[len(wf.Spec.Templates)-2].Resource.SuccessCondition = "status.succeeded > 0"
	e, c, _ := newEngine(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "existing", Namespace: "ns", UID: "cm-uid"}})
	exec := &recordingExecutor{client: c}
	e.Executor = exec
	g.Expect(e.recordApplyTargets(ctx, wf)).To(Succeed())
	var got map[string]types.UID
	g.Expect(json.Unmarshal([]byte(wf.Annotations[translator.AnnotationApplyTargets]), &got)).To(Succeed())
	g.Expect(got).To(Equal(map[string]types.UID{"over": "cm-uid", "fresh": ""}))
	g.Expect(exec.asked).To(Equal([]string{"ns/drplan-executor"}))

	// Created only when the reported UID is not the recorded one; unrecorded templates never count.
	g.Expect(applyCreated(wf, "over", "cm-uid")).To(BeFalse(), "applied over an existing object")
	g.Expect(applyCreated(wf, "over", "new-uid")).To(BeTrue(), "the object was replaced during the run")
	g.Expect(applyCreated(wf, "fresh", "new-uid")).To(BeTrue())
	g.Expect(applyCreated(wf, "job", "j-uid")).To(BeFalse())
	g.Expect(applyCreated(wf, "fresh", "")).To(BeFalse())
	g.Expect(applyCreated(jobWF(), "fresh", "new-uid")).To(BeFalse(), "no record: not created")
}

// TestRecordApplyTargetsErrors: a denied read leaves the target out (not created); any other error is
// returned, so the Workflow is not created without its record.
func TestRecordApplyTargetsErrors(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	for _, tc := range []struct {
		err     error
		wantErr bool
	}{
		{apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "absent", errors.New("no")), false},
		{apierrors.NewServiceUnavailable("etcd"), true},
	} {
		wf := jobWF(applyTemplate("fresh", "absent"))
		e, c, _ := newEngine()
		failing := interceptor.NewClient(c.(client.WithWatch), interceptor.Funcs{
			Get: func(ctx context.Context, cl client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				return tc.err
			}})
		e.Executor = &recordingExecutor{client: failing}
		err := e.recordApplyTargets(ctx, wf)
		if tc.wantErr {
			g.Expect(err).To(MatchError(ContainSubstring("reading ConfigMap ns/absent before its Apply")))
			continue
		}
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(wf.Annotations[translator.AnnotationApplyTargets]).To(Equal("{}"))
		g.Expect(applyCreated(wf, "fresh", "new-uid")).To(BeFalse())
	}
}

// TestApplyOutputsCreated: an Apply node's resourceRef says created from the recorded UIDs.
func TestApplyOutputsCreated(t *testing.T) {
	g := NewWithT(t)
	wf := testWF("run", [3]string{"fresh", "fresh", "apply"}, [3]string{"over", "over", "apply"})
	wf.Annotations[translator.AnnotationApplyTargets] = `{"fresh":"","over":"old-uid"}`
	for _, task := range []string{"fresh", "over"} {
		addNode(wf, "run."+task, wfv1.NodeTypePod, wfv1.NodeSucceeded, 1, 2, "")
		uid := "old-uid"
		if task == "fresh" {
			uid = "new-uid"
		}
		setNode(wf, "run."+task, func(n *wfv1.NodeStatus) {
			n.Outputs = params(translator.OutputAPIVersion, "v1", translator.OutputKind, "ConfigMap",
				translator.OutputName, task, translator.OutputNamespace, "ns", translator.OutputUID, uid)
		})
	}
	st, err := ActionStatuses(wf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st[0].Outputs.ResourceRef.Created).To(BeTrue())
	g.Expect(st[1].Outputs.ResourceRef.Created).To(BeFalse())
}
