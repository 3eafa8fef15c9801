package main

import "sigs.k8s.io/controller-runtime/pkg/client"

// fieldOwner names the demo as the server-side apply manager of what it applies.
const fieldOwner = client.FieldOwner("drplan-demo")
