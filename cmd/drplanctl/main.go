// Command drplanctl works with DR objects: offline, it translates DRPlanExecutions into the Argo Workflows the
// operator would create and validates DRWorkflows, DRPlans and DRPlanExecutions; against a cluster (kubectl's
// --kubeconfig, --context, -n), it shows executions as a tree of stages, workflow entries and actions (get,
// describe, watch) and a plan's history.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
