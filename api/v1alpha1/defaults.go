package v1alpha1

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults applied by the accessors below. The CRD schema defaults what it can; these cover objects that
// reach the operator without having passed the API server (drplanctl, tests).
const (
	DefaultActionTimeout          = 5 * time.Minute
	DefaultRetryInterval          = 10 * time.Second
	DefaultBackoffMultiplier      = "1"
	DefaultHTTPMethod             = "GET"
	DefaultExecutorServiceAccount = "drplan-executor"
	DefaultExecutionHistoryLimit  = int32(10)
	// HTTPResponseBodyLimit is the number of bytes of an HTTP response body kept in status.
	HTTPResponseBodyLimit = 1024
)

// GetTimeout returns the action's timeout, or DefaultActionTimeout.
func (b *ActionBody) GetTimeout() time.Duration {
	if b.Timeout == nil || b.Timeout.Duration <= 0 {
		return DefaultActionTimeout
	}
	return b.Timeout.Duration
}

// GetRetryLimit returns the number of retries, 0 without a retryPolicy.
func (b *ActionBody) GetRetryLimit() int32 {
	if b.RetryPolicy == nil {
		return 0
	}
	return b.RetryPolicy.Limit
}

// GetInterval returns the retry interval, or DefaultRetryInterval.
func (p *RetryPolicy) GetInterval() time.Duration {
	if p == nil || p.Interval == nil {
		return DefaultRetryInterval
	}
	return p.Interval.Duration
}

// GetBackoffMultiplier returns the backoff multiplier string, or DefaultBackoffMultiplier.
func (p *RetryPolicy) GetBackoffMultiplier() string {
	if p == nil || p.BackoffMultiplier == "" {
		return DefaultBackoffMultiplier
	}
	return p.BackoffMultiplier
}

// GetMethod returns the HTTP method, or DefaultHTTPMethod.
func (h *HTTPAction) GetMethod() string {
	if h.Method == "" {
		return DefaultHTTPMethod
	}
	return h.Method
}

// IsSuccessCode reports whether code means success: listed in successCodes, or any 2xx when none are listed.
func (h *HTTPAction) IsSuccessCode(code int) bool {
	if len(h.SuccessCodes) == 0 {
		return code >= 200 && code < 300
	}
	for _, c := range h.SuccessCodes {
		if int(c) == code {
			return true
		}
	}
	return false
}

// GetType returns the parameter type, or string.
func (p *Parameter) GetType() ParameterType {
	if p.Type == "" {
		return ParameterTypeString
	}
	return p.Type
}

// GetFailurePolicy returns the workflow failure policy, or FailFast.
func (s *DRWorkflowSpec) GetFailurePolicy() WorkflowFailurePolicy {
	if s.FailurePolicy == "" {
		return WorkflowFailFast
	}
	return s.FailurePolicy
}

// GetExecutorType returns the requested engine, empty when the operator default applies.
func (s *DRWorkflowSpec) GetExecutorType() ExecutorType {
	if s.Executor == nil {
		return ""
	}
	return s.Executor.Type
}

// GetServiceAccountName returns the ServiceAccount runs of this workflow act as, or DefaultExecutorServiceAccount.
func (s *DRWorkflowSpec) GetServiceAccountName() string {
	if s.Executor == nil || s.Executor.ArgoOptions == nil || s.Executor.ArgoOptions.ServiceAccountName == "" {
		return DefaultExecutorServiceAccount
	}
	return s.Executor.ArgoOptions.ServiceAccountName
}

// IsSequential reports whether no action has dependsOn, in which case actions run in list order.
func (s *DRWorkflowSpec) IsSequential() bool {
	for i := range s.Actions {
		if len(s.Actions[i].DependsOn) > 0 {
			return false
		}
	}
	return true
}

// GetFailurePolicy returns the plan failure policy, or Stop.
func (s *DRPlanSpec) GetFailurePolicy() PlanFailurePolicy {
	if s.FailurePolicy == "" {
		return PlanStop
	}
	return s.FailurePolicy
}

// GetExecutionHistoryLimit returns the history bound, or DefaultExecutionHistoryLimit.
func (s *DRPlanSpec) GetExecutionHistoryLimit() int32 {
	if s.ExecutionHistoryLimit == nil || *s.ExecutionHistoryLimit < 1 {
		return DefaultExecutionHistoryLimit
	}
	return *s.ExecutionHistoryLimit
}

// IsSequential reports whether no stage has dependsOn, in which case stages run in list order.
func (s *DRPlanSpec) IsSequential() bool {
	for i := range s.Stages {
		if len(s.Stages[i].DependsOn) > 0 {
			return false
		}
	}
	return true
}

// GetOperationType returns the operation, or Execute.
func (s *DRPlanExecutionSpec) GetOperationType() OperationType {
	if s.OperationType == "" {
		return OperationExecute
	}
	return s.OperationType
}

// GetMode returns the run's mode as templates see it: lower-case, "rollback" for a Revert, "" when unset.
func (s *DRPlanExecutionSpec) GetMode() string {
	if s.GetOperationType() == OperationRevert {
		return "rollback"
	}
	return strings.ToLower(string(s.Mode))
}

// NamespaceOr returns the reference's namespace, or def when it is empty.
func (r ObjectReference) NamespaceOr(def string) string {
	if r.Namespace == "" {
		return def
	}
	return r.Namespace
}

// IsCancelRequested reports whether the cancel annotation is set to "true".
func (e *DRPlanExecution) IsCancelRequested() bool {
	return e.Annotations[AnnotationCancel] == "true"
}

// Duration is a convenience constructor for *metav1.Duration.
func Duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// Defaults of fields upstream bcs-drplan-controller lets users leave out. The CRD schema defaults the
// operations and the Subscription namespace too; these accessors cover objects that skip the API server.
const (
	DefaultOperation             = OperationCreate
	DefaultSubscriptionNamespace = "default"
	rollbackNameSuffix           = "-rollback"
)

// GetOperation returns the operation, or Create.
func (l *LocalizationAction) GetOperation() ResourceOperation { return operationOr(l.Operation) }

// GetOperation returns the operation, or Create.
func (s *SubscriptionAction) GetOperation() ResourceOperation {
	return operationOr(ResourceOperation(s.Operation))
}

// GetOperation returns the operation, or Create.
func (r *ResourceAction) GetOperation() ResourceOperation { return operationOr(r.Operation) }

// GetOperation returns the operation, or Create.
func (g *GlobalizationAction) GetOperation() ResourceOperation { return operationOr(g.Operation) }

func operationOr(op ResourceOperation) ResourceOperation {
	if op == "" {
		return DefaultOperation
	}
	return op
}

// GetNamespace returns the Subscription's namespace, or "default" (upstream's default).
func (s *SubscriptionAction) GetNamespace() string {
	if s.Namespace == "" {
		return DefaultSubscriptionNamespace
	}
	return s.Namespace
}

// GetRollback returns the action's rollback with upstream's defaults filled in: the action's type when the
// rollback has none, and the name "<action>-rollback" (the action name cut so that it fits 63 characters)
// when it has none. It returns nil when the action has no rollback; the action itself is not changed.
func (a *Action) GetRollback() *RollbackAction {
	if a.Rollback == nil {
		return nil
	}
	rb := a.Rollback.DeepCopy()
	if rb.Type == "" {
		rb.Type = a.Type
	}
	if rb.Name == "" {
		base := a.Name
		if max := 63 - len(rollbackNameSuffix); len(base) > max {
			base = base[:max]
		}
		rb.Name = base + rollbackNameSuffix
	}
	return rb
}
