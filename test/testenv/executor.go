package testenv

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

const (
	// QuickstartRole grants the executor what examples/quickstart's KubernetesResource action touches
	// (config/executor leaves such kinds to the plan's owner on purpose).
	QuickstartRole = "drplan-quickstart"
	// rbacTimeout bounds the wait for new RBAC to be in force.
	rbacTimeout = 30 * time.Second
)

// PrepareQuickstartNamespace makes namespace ns ready for examples/quickstart as a plan owner would: the
// namespace, the executor ServiceAccount and Role of config/executor (applied as owner), and QuickstartRole,
// which lets the executor manage ConfigMaps there (the quickstart creates one, its Revert deletes it). It
// returns once the API server enforces that RBAC.
func PrepareQuickstartNamespace(ctx context.Context, c client.Client, root string, owner client.FieldOwner, ns string) error {
	if err := CreateAll(ctx, c, []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}}); err != nil {
		return err
	}
	executor, err := KustomizeResources(filepath.Join(root, "config", "executor"))
	if err != nil {
		return fmt.Errorf("reading config/executor: %w", err)
	}
	if err := ApplyAll(ctx, c, owner, ns, executor); err != nil {
		return err
	}
	if err := CreateAll(ctx, c, quickstartRBAC(ns)); err != nil {
		return err
	}
	sa := "system:serviceaccount:" + ns + ":" + drv1.DefaultExecutorServiceAccount
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	// The API server learns new Roles through its informers; an action started before then fails Forbidden.
	return WaitAllowed(ctx, c, sa, groups, ns, "", "configmaps", "create")
}

// quickstartRBAC lets the executor create, read and delete ConfigMaps in ns.
func quickstartRBAC(ns string) []client.Object {
	meta := metav1.ObjectMeta{Namespace: ns, Name: QuickstartRole}
	return []client.Object{
		&rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"},
			Verbs: []string{"get", "list", "watch", "create", "patch", "delete"}}}},
		&rbacv1.RoleBinding{ObjectMeta: meta,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: QuickstartRole},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns,
				Name: drv1.DefaultExecutorServiceAccount}}},
	}
}

// CreateAll creates objs, leaving alone those that exist (a retried start finds them).
func CreateAll(ctx context.Context, c client.Client, objs []client.Object) error {
	for _, o := range objs {
		if err := c.Create(ctx, o); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("creating %T %s: %w", o, ObjectName(o), err)
		}
	}
	return nil
}

// WaitAllowed polls a SubjectAccessReview until user may do verb on resource, at most rbacTimeout.
func WaitAllowed(ctx context.Context, c client.Client, user string, groups []string, ns, group, resource, verb string) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, rbacTimeout, true, func(ctx context.Context) (bool, error) {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: resource},
		}}
		if err := c.Create(ctx, sar); err != nil {
			return false, err
		}
		return sar.Status.Allowed, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s to be allowed to %s %s in %q: %w", user, verb, resource, ns, err)
	}
	return nil
}
