package stack

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestActiveDeadline(t *testing.T) {
	start := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	later := start.Add(time.Minute)
	secs := int64(30)
	for _, tc := range []struct {
		name string
		pod  corev1.Pod
		want time.Time
		ok   bool
	}{
		{"no deadline", corev1.Pod{}, time.Time{}, false},
		{"from the pod's start", corev1.Pod{Spec: corev1.PodSpec{ActiveDeadlineSeconds: &secs},
			Status: corev1.PodStatus{StartTime: &metav1.Time{Time: start}}}, start.Add(30 * time.Second), true},
		{"not started yet: from now", corev1.Pod{Spec: corev1.PodSpec{ActiveDeadlineSeconds: &secs}}, later.Add(30 * time.Second), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := activeDeadline(&tc.pod, later)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Fatalf("activeDeadline = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestDeadlinePatchIsTheKubelets(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "wait", Image: "argoexec"}, {Name: "main", Image: "argoexec"}}}}
	status := deadlinePatch(pod, metav1.Now())["status"].(map[string]any)
	if status["phase"] != corev1.PodFailed || status["reason"] != "DeadlineExceeded" ||
		status["message"] != "Pod was active on the node longer than the specified deadline" {
		t.Fatalf("status = %v", status)
	}
	cs := status["containerStatuses"].([]corev1.ContainerStatus)
	if len(cs) != 2 || cs[0].Name != "wait" || cs[0].State.Terminated.ExitCode != 137 || cs[1].State.Terminated.ExitCode != 137 {
		t.Fatalf("containerStatuses = %+v", cs)
	}
}
