package controller

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
)

func TestDefaultEngine(t *testing.T) {
	notServed := errors.New(`no matches for kind "Workflow"`)
	cases := []struct {
		name    string
		choice  ExecutorChoice
		argoErr error
		want    drv1.ExecutorType
		wantErr string
	}{
		{"auto with Argo served picks Argo", ExecutorAuto, nil, drv1.ExecutorArgo, ""},
		{"auto without Argo picks native", ExecutorAuto, notServed, drv1.ExecutorNative, ""},
		{"no choice is auto", "", notServed, drv1.ExecutorNative, ""},
		{"argo with Argo served", ExecutorArgoDefault, nil, drv1.ExecutorArgo, ""},
		{"argo without Argo is an error naming the flag", ExecutorArgoDefault, notServed, "", "--default-executor=argo but the Argo Workflow CRD is not served"},
		{"native even with Argo served", ExecutorNativeDefault, nil, drv1.ExecutorNative, ""},
		{"an unknown choice", "tekton", nil, "", `unknown executor "tekton"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := DefaultEngine(c.choice, c.argoErr)
			if c.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(c.want))
		})
	}
}

func TestEnginesCheck(t *testing.T) {
	var some engine.Engine
	cases := []struct {
		name    string
		engines Engines
		wantErr string
	}{
		{"the default is among the engines", Engines{ByType: map[drv1.ExecutorType]engine.Engine{drv1.ExecutorNative: some}, Default: drv1.ExecutorNative}, ""},
		{"no engines at all", Engines{}, "no engines"},
		{"a default that is not there", Engines{ByType: map[drv1.ExecutorType]engine.Engine{drv1.ExecutorNative: some}, Default: drv1.ExecutorArgo}, `the default engine "Argo" is not among the engines`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.engines.check()
			if c.wantErr == "" {
				NewWithT(t).Expect(err).NotTo(HaveOccurred())
				return
			}
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
		})
	}
}

func TestTrackRunningCountsEachExecutionOnce(t *testing.T) {
	g := NewWithT(t)
	r := &DRPlanExecutionReconciler{}
	base := testutil.ToFloat64(executionsRunning)
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	r.trackRunning(a, true)
	r.trackRunning(a, true) // every reconcile of a running execution says so again
	r.trackRunning(b, true)
	g.Expect(testutil.ToFloat64(executionsRunning)).To(Equal(base + 2))
	r.trackRunning(a, false)
	r.trackRunning(a, false)
	g.Expect(testutil.ToFloat64(executionsRunning)).To(Equal(base + 1))
	r.forget(b) // deleted
	g.Expect(testutil.ToFloat64(executionsRunning)).To(Equal(base))
}
