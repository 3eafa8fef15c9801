package controller

// The native engine (nativeexec) runs inside the operator: it watches the Jobs its actions create through the
// manager's cache, and performs every resource action and Secret read impersonating the workflow's executor
// ServiceAccount, so the operator needs impersonate on ServiceAccounts but no rights on the objects themselves.

// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=impersonate
