package main

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
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	// quickstartRole grants the executor what examples/quickstart's KubernetesResource action touches
	// (config/executor leaves such kinds to the plan's owner on purpose).
	quickstartRole = "drplan-demo-quickstart"
	// rbacTimeout bounds the wait for new RBAC to be in force.
	rbacTimeout = 30 * time.Second
)

// operator is the operator's identity in the demo cluster, as config/default would create it.
var operator = testenv.Operator{Namespace: "drplan-system", ServiceAccount: "drplan-operator", ClusterRole: "drplan-operator-manager-role"}

// operatorConfig returns admin impersonating the operator's ServiceAccount, bound to config/rbac/role.yaml, once
// the API server enforces that binding: the demo runs with the operator's real permissions, not an administrator's.
func operatorConfig(ctx context.Context, admin *rest.Config) (*rest.Config, error) {
	c, err := adminClient(admin)
	if err != nil {
		return nil, err
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	cfg, err := testenv.OperatorConfig(ctx, c, admin, root, operator)
	if err != nil {
		return nil, err
	}
	if err := waitAllowed(ctx, c, operator.User(), operator.Groups(), "", "dr.bkbcs.tencent.com", "drplanexecutions", "watch"); err != nil {
		return nil, err
	}
	return cfg, nil
}

// prepareDemoNamespace creates the demo namespace with the executor ServiceAccount and Role of config/executor,
// and the quickstart's extra Role, and waits until the API server enforces them.
func prepareDemoNamespace(ctx context.Context, admin *rest.Config) error {
	c, err := adminClient(admin)
	if err != nil {
		return err
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	if err := createAll(ctx, c, []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: demoNamespace}}}); err != nil {
		return err
	}
	executor, err := kustomizeResources(filepath.Join(root, "config", "executor"))
	if err != nil {
		return fmt.Errorf("reading config/executor: %w", err)
	}
	if err := applyAll(ctx, c, demoNamespace, executor); err != nil {
		return err
	}
	if err := createAll(ctx, c, quickstartRBAC()); err != nil {
		return err
	}
	sa := "system:serviceaccount:" + demoNamespace + ":" + drv1.DefaultExecutorServiceAccount
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + demoNamespace, "system:authenticated"}
	// The API server learns new Roles through its informers; an action started before then fails Forbidden.
	if err := waitAllowed(ctx, c, sa, groups, demoNamespace, "", "configmaps", "create"); err != nil {
		return err
	}
	step("namespace %s: executor ServiceAccount %s (config/executor) and Role %s (ConfigMaps, for the quickstart)",
		demoNamespace, drv1.DefaultExecutorServiceAccount, quickstartRole)
	return nil
}

// quickstartRBAC lets the executor create, read and delete ConfigMaps in the demo namespace: the quickstart
// creates one and its Revert deletes it.
func quickstartRBAC() []client.Object {
	meta := metav1.ObjectMeta{Namespace: demoNamespace, Name: quickstartRole}
	return []client.Object{
		&rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"},
			Verbs: []string{"get", "list", "watch", "create", "patch", "delete"}}}},
		&rbacv1.RoleBinding{ObjectMeta: meta,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: quickstartRole},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: demoNamespace,
				Name: drv1.DefaultExecutorServiceAccount}}},
	}
}

// createAll creates objs, leaving alone those that exist (serve runs once per stack; this only guards a retry).
func createAll(ctx context.Context, c client.Client, objs []client.Object) error {
	for _, o := range objs {
		if err := c.Create(ctx, o); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("creating %T %s: %w", o, objectName(o), err)
		}
	}
	return nil
}

// waitAllowed polls a SubjectAccessReview until user may do verb on resource, at most rbacTimeout.
func waitAllowed(ctx context.Context, c client.Client, user string, groups []string, ns, group, resource, verb string) error {
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
