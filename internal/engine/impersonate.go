package engine

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ImpersonatingClients builds, once per ServiceAccount, a client acting as it (ExecutorConfig; the
// operator's Role grants impersonate on serviceaccounts).
type ImpersonatingClients struct {
	Config *rest.Config
	Scheme *runtime.Scheme
	Mapper meta.RESTMapper

	mu      sync.Mutex
	clients map[types.NamespacedName]client.Client
}

// ForServiceAccount returns the client acting as system:serviceaccount:namespace:name.
func (c *ImpersonatingClients) ForServiceAccount(namespace, name string) (client.Client, error) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[key]; ok {
		return cl, nil
	}
	cl, err := client.New(ExecutorConfig(c.Config, namespace, name), client.Options{Scheme: c.Scheme, Mapper: c.Mapper})
	if err != nil {
		return nil, fmt.Errorf("building a client for ServiceAccount %s: %w", key, err)
	}
	if c.clients == nil {
		c.clients = map[types.NamespacedName]client.Client{}
	}
	c.clients[key] = cl
	return cl, nil
}
