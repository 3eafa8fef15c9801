// Command drplanctl translates and validates DR objects offline: it prints the Argo Workflows the operator
// would create for DRPlanExecutions, or every problem in DRWorkflows, DRPlans and DRPlanExecutions.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
