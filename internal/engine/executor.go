package engine

import (
	"fmt"

	"k8s.io/client-go/rest"
)

// ExecutorConfig is config acting as the ServiceAccount namespace/name: both engines do what a plan asks
// (create, delete) as the workflow's executor account, never with the operator's own rights. The API
// server adds the account's groups to the impersonated user.
func ExecutorConfig(config *rest.Config, namespace, name string) *rest.Config {
	cfg := rest.CopyConfig(config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name)}
	return cfg
}
