package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Operator names the identity a suite's in-process operator runs as.
type Operator struct {
	// Namespace and ServiceAccount are created; ClusterRole is config/rbac/role.yaml under this name, bound to
	// the ServiceAccount by a ClusterRoleBinding of the same name.
	Namespace, ServiceAccount, ClusterRole string
}

// User is the operator's user name in the API server.
func (o Operator) User() string {
	return "system:serviceaccount:" + o.Namespace + ":" + o.ServiceAccount
}

// Groups are the groups the API server gives the operator's ServiceAccount.
func (o Operator) Groups() []string {
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + o.Namespace, "system:authenticated"}
}

// OperatorConfig creates the operator's ServiceAccount, binds it to config/rbac/role.yaml (what `make
// manifests` generates from the RBAC markers) and returns admin impersonating it. A reconciler that needs a verb
// its markers do not grant then fails in a test as it would in a cluster, not quietly succeed as an admin.
// RBAC takes effect when the API server's authorizer has seen it, a moment after this returns.
func OperatorConfig(ctx context.Context, c client.Client, admin *rest.Config, root string, o Operator) (*rest.Config, error) {
	path := filepath.Join(root, "config", "rbac", "role.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(data, role); err != nil {
		return nil, fmt.Errorf("%s: want one ClusterRole: %w", path, err)
	}
	role.ObjectMeta = metav1.ObjectMeta{Name: o.ClusterRole}
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.Namespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, Name: o.ServiceAccount}},
		role,
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: o.ClusterRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: o.ClusterRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: o.Namespace, Name: o.ServiceAccount}},
		},
	}
	for _, obj := range objs { // existing ones are left alone: a retried start finds them
		if err := c.Create(ctx, obj); client.IgnoreAlreadyExists(err) != nil {
			return nil, fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: o.User(), Groups: o.Groups()}
	return cfg, nil
}
