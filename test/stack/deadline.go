package stack

import (
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The kubelet's active deadline (pkg/kubelet/active_deadline.go): a pod still running spec.activeDeadlineSeconds
// after status.startTime is killed and Failed with reason DeadlineExceeded and this message. kwok does not do
// it; the pod runner does it for the pods it runs, so a resource step's timeout (the translator's
// activeDeadlineSeconds) ends the step on the real workflow-controller as in a cluster.
const (
	deadlineReason  = "DeadlineExceeded"
	deadlineMessage = "Pod was active on the node longer than the specified deadline"
)

// errPastDeadline is the cause of a run's context when the pod's active deadline passed.
var errPastDeadline = errors.New("pod past its activeDeadlineSeconds")

// activeDeadline is when the pod's active deadline passes (false: it has none).
func activeDeadline(pod *corev1.Pod, fallbackStart time.Time) (time.Time, bool) {
	if pod.Spec.ActiveDeadlineSeconds == nil {
		return time.Time{}, false
	}
	start := fallbackStart
	if pod.Status.StartTime != nil {
		start = pod.Status.StartTime.Time
	}
	return start.Add(time.Duration(*pod.Spec.ActiveDeadlineSeconds) * time.Second), true
}

// deadlinePatch is the status the kubelet gives a pod it stopped at its active deadline: every container
// terminated (137). The run got SIGTERM first, as from the kubelet, on which argoexec finalizes its task
// result (cmd/argoexec: signal.NotifyContext; resource.go: FinalizeOutput deferred), so Argo fulfils the node.
func deadlinePatch(pod *corev1.Pod, started metav1.Time) map[string]any {
	terminated := corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Error", StartedAt: started, FinishedAt: metav1.Now()}
	statuses := make([]corev1.ContainerStatus, 0, len(pod.Spec.Containers))
	for _, c := range pod.Spec.Containers {
		statuses = append(statuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, State: corev1.ContainerState{Terminated: terminated.DeepCopy()}})
	}
	return map[string]any{"status": map[string]any{
		"phase": corev1.PodFailed, "reason": deadlineReason, "message": deadlineMessage, "containerStatuses": statuses,
	}}
}
