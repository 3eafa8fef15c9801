package argoexec

import (
	"context"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/internal/engine"
	"github.com/drplan/drplan-operator/translator"
)

// ExecutorClients gives a client that acts as a workflow's executor ServiceAccount: the operator never lends
// its own rights to a plan, so what it deletes on a plan's behalf it deletes as that account.
type ExecutorClients interface {
	ForServiceAccount(namespace, name string) (client.Client, error)
}

// stopJobs deletes the unfinished Jobs that the Workflow's Job actions created. Argo's shutdown stops the
// Workflow's pods, not the objects its resource templates created, so without this a Job would run on after
// a cancel; the native engine deletes them too, and the engines behave alike. Each Job is deleted as the
// Workflow's executor ServiceAccount, with its UID as precondition and background propagation (its pods go
// too). Finished Jobs, and Jobs without the execution label the manifest gave them (not ours), are left
// alone. Without Executor nothing is deleted.
func (e *Engine) stopJobs(ctx context.Context, wf *wfv1.Workflow) error {
	return e.stopJobsOf(ctx, wf, func(string) bool { return true })
}

// stopEndedActionsJobs deletes the unfinished Jobs of Job actions whose step ended Failed or Error while
// the Workflow goes on: a step stopped by its timeout (activeDeadlineSeconds) leaves the Job it created
// running, as a shutdown does, and the native engine deletes a Job that outlives its timeout.
func (e *Engine) stopEndedActionsJobs(ctx context.Context, wf *wfv1.Workflow) error {
	tasks, err := Tasks(wf)
	if err != nil {
		return nil // RunStatus reports an unreadable Workflow
	}
	nodes, err := Nodes(wf)
	if err != nil {
		return nil
	}
	ended := map[string]bool{}
	for _, t := range tasks {
		if t.Template == nil {
			continue
		}
		if n, ok := nodes[wf.NodeID(NodeName(wf, t.Name))]; ok && (n.Phase == wfv1.NodeFailed || n.Phase == wfv1.NodeError) {
			ended[t.Template.Name] = true
		}
	}
	if len(ended) == 0 {
		return nil
	}
	return e.stopJobsOf(ctx, wf, func(template string) bool { return ended[template] })
}

// stopJobsOf deletes the unfinished Jobs of the templates selected.
func (e *Engine) stopJobsOf(ctx context.Context, wf *wfv1.Workflow, selected func(template string) bool) error {
	if e.Executor == nil {
		return nil
	}
	sa := wf.Spec.ServiceAccountName
	if sa == "" {
		sa = v1alpha1.DefaultExecutorServiceAccount
	}
	reader := client.Reader(e.Client)
	if e.APIReader != nil {
		reader = e.APIReader
	}
	for _, want := range jobsOf(wf) {
		if !selected(want.template) {
			continue
		}
		key := want.key
		job := &batchv1.Job{}
		if err := reader.Get(ctx, key, job); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("reading Job %s to stop it: %w", key, err)
		}
		if job.Labels[v1alpha1.LabelExecution] != want.execution || jobFinished(job) || job.DeletionTimestamp != nil {
			continue
		}
		cl, err := e.Executor.ForServiceAccount(wf.Namespace, sa)
		if err != nil {
			return err
		}
		bg := metav1.DeletePropagationBackground
		err = cl.Delete(ctx, job, &client.DeleteOptions{PropagationPolicy: &bg, Preconditions: &metav1.Preconditions{UID: &job.UID}})
		switch {
		case err == nil, apierrors.IsNotFound(err), apierrors.IsConflict(err): // Conflict: another Job has the name now
		case apierrors.IsForbidden(err):
			return fmt.Errorf("the workflow's executor ServiceAccount %s/%s may not delete Job %s (grant it in a Role): %w", wf.Namespace, sa, key, err)
		default:
			return fmt.Errorf("deleting Job %s: %w", key, err)
		}
	}
	return nil
}

// workflowJob is a Job a Workflow's template creates, and the execution label its manifest gives it.
type workflowJob struct {
	key       types.NamespacedName
	execution string
	template  string
}

// jobsOf returns the Jobs the Workflow's resource templates create or apply, from their manifests.
func jobsOf(wf *wfv1.Workflow) []workflowJob {
	var jobs []workflowJob
	for i := range wf.Spec.Templates {
		r := wf.Spec.Templates[i].Resource
		if r == nil || (r.Action != "create" && r.Action != "apply") {
			continue
		}
		var m struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Metadata   metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(r.Manifest), &m); err != nil || m.APIVersion != "batch/v1" || m.Kind != "Job" ||
			m.Metadata.Name == "" || m.Metadata.Labels[v1alpha1.LabelExecution] == "" {
			continue
		}
		ns := m.Metadata.Namespace
		if ns == "" {
			ns = wf.Namespace
		}
		// A retried Job action names one Job per attempt (translator.ArgoJobAttemptName).
		limit := 0
		if rs := wf.Spec.Templates[i].RetryStrategy; rs != nil && rs.Limit != nil {
			limit = rs.Limit.IntValue()
		}
		for _, name := range translator.ArgoJobAttemptNames(m.Metadata.Name, limit) {
			jobs = append(jobs, workflowJob{key: types.NamespacedName{Namespace: ns, Name: name},
				execution: m.Metadata.Labels[v1alpha1.LabelExecution], template: wf.Spec.Templates[i].Name})
		}
	}
	return jobs
}

// jobFinished reports whether a Job has completed or failed for good.
func jobFinished(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// ImpersonatingClients builds, once per ServiceAccount, a client acting as it (engine.ImpersonatingClients).
type ImpersonatingClients = engine.ImpersonatingClients
