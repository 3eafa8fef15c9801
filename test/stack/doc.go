// Package stack starts and stops a local Kubernetes cluster with the real Argo workflow-controller, for the
// end-to-end suite (test/e2e) and the demo (test/demo).
//
// What is real:
//   - etcd and kube-apiserver (envtest), with RBAC on;
//   - kube-scheduler, which binds pods to the one node, kwok-node-0;
//   - kube-controller-manager running the job, garbage-collector and serviceaccount controllers: Jobs really get
//     pods, owner references are really collected, every namespace gets its "default" ServiceAccount;
//   - Argo's workflow-controller (the version go.mod pins), watching every namespace;
//   - argoexec, for the Argo pods whose work has an effect outside the pod: the agent of http templates really
//     sends the HTTP requests and reports the results through the WorkflowTaskSet; resource templates really
//     create, patch, delete... their objects, and write their WorkflowTaskResults. Each run authenticates as the
//     pod's ServiceAccount (impersonated), so it can do only what that account's RBAC allows, as in a cluster.
//
// What is fake:
//   - the kubelet. kwok sets pod phases instead of running containers (kwok-stages.yaml): a pod of a Job or a
//     Workflow becomes Running, then Succeeded; with the annotation drplan.e2e/fail: "true" it becomes Failed
//     (container main exits 1). Container templates therefore do nothing and produce no outputs: one that declares
//     output parameters stays Running ("outputs not ready"), as no wait container reports a WorkflowTaskResult.
//   - the pod runner, a goroutine of the process that called Start, stands in for the kubelet on agent pods and
//     resource pods: kwok only marks them Running; the runner runs `argoexec agent main` or
//     `argoexec resource <action>` as a local process with the pod's environment, then patches the pod status to
//     Succeeded or Failed (main's exit code, argoexec's last "Error: " line as the message). Like the kubelet
//     it enforces the pod's activeDeadlineSeconds on these runs (deadline.go): past it, the run is killed and
//     the pod Failed with reason DeadlineExceeded, which kwok does not do for the pods it finishes.
//     As root, every run gets a private mount namespace with its own /tmp and runs as nobody, so runs go in
//     parallel and argoexec's fixed paths (/tmp/manifest.yaml, /dev/termination-log) never touch the host.
//     Otherwise argoexec runs as the current user and resource runs take turns around /tmp/manifest.yaml (and two
//     stacks on one machine could still collide there).
//   - there is no token controller: ServiceAccount token Secrets are never created. Argo's controller needs only
//     the ServiceAccount of an agent pod to exist (it reads it to name the token Secret,
//     <sa>.service-account-token, that it mounts into the pod; nothing checks that Secret here, a real kubelet
//     would wait for it). A Workflow whose ServiceAccount does not exist gets no agent pod: it ends in Error,
//     "create agent pod failed ... serviceaccounts "<sa>" not found". One that names no ServiceAccount runs its
//     agent as "default", which has no RBAC: Error, "... cannot watch resource "workflowtasksets" ...".
//
// Every process of the stack is bounded by Options.Lifetime, even if the process that called Start dies without
// Stop: kwok, kube-scheduler, kube-controller-manager and the workflow-controller run under timeout(1), each in its
// own process group, logging to <ArtifactsDir>/<name>.log, with their PIDs in <ArtifactsDir>/pids (and PIDs());
// Stop ends them by PID. etcd and kube-apiserver are envtest's (Env.Stop stops them), started through wrapper
// scripts in <ArtifactsDir>/bin that put them under timeout(1) too; they log to <ArtifactsDir>/etcd.log and
// kube-apiserver.log. Each argoexec run is bounded by Options.ArgoexecTimeout and killed by Stop.
// Other files in ArtifactsDir: kubeconfig (admin), stack.log (how long each start step took), podrunner.log (one
// line per argoexec run: start, end, exit code, message) and argoexec/<namespace>.<pod>.log (each run's output).
//
// Start returns once kwok has the node Ready, kube-controller-manager has created the argo namespace's default
// ServiceAccount, the pod runner's informer has synced, and the workflow-controller has run a Workflow to the end
// (stack-ready-*, a zero-second suspend in namespace argo, deleted afterwards). Nothing listens on a fixed port
// except the workflow-controller's health endpoint :6060, which it only logs a line about when the port is taken;
// its metrics server (:9090, which panics when taken) is off. So several stacks can run on one machine at once.
//
// Argo's agent needs, in a real cluster as here, RBAC on workflowtasksets (list, watch) and
// workflowtasksets/status (patch); resource templates need workflowtaskresults (create, patch) and the verbs on
// the objects they touch.
package stack
